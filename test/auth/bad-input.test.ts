import { LoginDocument, MeDocument, RegisterDocument, SessionsDocument } from '../generated/graphql';
import { PASSWORD, uniqueEmail } from '../support/accounts';
import { dataOf, errorCodes, graphql, LiveConnection, tryConnect, type GraphqlResponse } from '../support/client';
import { clusterPerSuite } from '../support/cluster';

/** Nothing internal may reach a client: no stack, no SQL, no driver or file names. */
function expectNoLeak(response: GraphqlResponse<unknown>): void {
  const text = JSON.stringify(response.errors);
  expect(text).not.toMatch(/stacktrace|\bat \w+ \(|node_modules|SELECT|INSERT|QueryFailedError|duplicate key|violates|typeorm|postgres/i);
}

describe('bad input gets a clear error with its code', () => {
  const suite = clusterPerSuite();

  it.each([
    ['a malformed email', { email: 'not-an-email', password: PASSWORD }, /valid email/],
    ['a short password', { email: uniqueEmail(), password: 'short' }, /10 to 128 characters/],
    ['an absurdly long password', { email: uniqueEmail(), password: 'x'.repeat(129) }, /10 to 128 characters/],
  ])('register with %s is BAD_USER_INPUT', async (_, input, message) => {
    const response = await graphql(suite.url, RegisterDocument, { input });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0]?.message).toMatch(message);
    expectNoLeak(response);
  });

  it('register with an email already taken (in any letter case) answers as for a new one and takes nothing over', async () => {
    const email = uniqueEmail();
    dataOf(await graphql(suite.url, RegisterDocument, { input: { email, password: PASSWORD } }));
    // No account enumeration: the answer says nothing about the address being taken (email-ownership.test.ts).
    const again = dataOf(await graphql(suite.url, RegisterDocument, { input: { email: email.toUpperCase(), password: 'another password 1' } })).register;
    expect(again.user).toMatchObject({ email, emailVerified: false });
    // The original password still works and the second one does not: the account was not overwritten.
    expect(dataOf(await graphql(suite.url, LoginDocument, { input: { email, password: PASSWORD } })).login.user.email).toBe(email);
    expect(errorCodes(await graphql(suite.url, LoginDocument, { input: { email, password: 'another password 1' } }))).toEqual(['INVALID_CREDENTIALS']);
  });

  it('a wrong password and an unknown email get the same INVALID_CREDENTIALS answer', async () => {
    const email = uniqueEmail();
    dataOf(await graphql(suite.url, RegisterDocument, { input: { email, password: PASSWORD } }));
    const wrongPassword = await graphql(suite.url, LoginDocument, { input: { email, password: 'wrong password!' } });
    const unknownEmail = await graphql(suite.url, LoginDocument, { input: { email: uniqueEmail('nobody'), password: PASSWORD } });
    expect(errorCodes(wrongPassword)).toEqual(['INVALID_CREDENTIALS']);
    expect(unknownEmail.errors).toEqual(wrongPassword.errors);
  });

  it('repeated wrong passwords from one IP are RATE_LIMITED there, with retryAfterSeconds', async () => {
    const email = uniqueEmail();
    dataOf(await graphql(suite.url, RegisterDocument, { input: { email, password: PASSWORD } }));
    const codes: unknown[] = [];
    for (let i = 0; i < 11; i++) codes.push(...errorCodes(await graphql(suite.url, LoginDocument, { input: { email, password: `wrong ${i} password` } })));
    expect(codes.slice(0, 10)).toEqual(Array(10).fill('INVALID_CREDENTIALS'));
    expect(codes[10]).toBe('RATE_LIMITED');
    const limited = await graphql(suite.url, LoginDocument, { input: { email, password: PASSWORD } });
    expect(errorCodes(limited)).toEqual(['RATE_LIMITED']);
    expect(limited.errors?.[0]?.extensions?.retryAfterSeconds).toEqual(expect.any(Number));
    expect(limited.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
  });

  it.each([
    ['no token', undefined],
    ['a garbage token', 'garbage'],
    ['a well-formed unknown token', `so_${'A'.repeat(43)}`],
  ])('HTTP with %s is UNAUTHENTICATED; the socket is closed with 4401', async (_, token) => {
    const response = await graphql(suite.url, MeDocument, {}, { token });
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    expect(await tryConnect(suite.url, token === undefined ? undefined : `Bearer ${token}`)).toEqual({ code: 4401, reason: 'Unauthorized' });
  });

  it('a malformed query is BAD_USER_INPUT with the parser message, not an internal error', async () => {
    const response = await graphql(suite.url, '{ me { id ');
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0]?.message).toMatch(/Syntax Error/);
  });

  it('a query for a field that does not exist is BAD_USER_INPUT', async () => {
    const response = await graphql(suite.url, '{ sessions { id password } }');
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
  });

  it('an operation that asks for too much (here: 40 aliases) is refused as BAD_USER_INPUT before it runs', async () => {
    const greedy = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: sessions { id }`).join(' ')} }`;
    const response = await graphql(suite.url, greedy);
    expect(errorCodes(response)).toContain('BAD_USER_INPUT');
    expect(new Set(errorCodes(response))).toEqual(new Set(['BAD_USER_INPUT']));
    expect(JSON.stringify(response.errors)).toMatch(/alias/i);
  });

  it('over WebSocket, malformed, unknown or greedy subscriptions get BAD_USER_INPUT and the socket stays usable', async () => {
    const { token } = dataOf(await graphql(suite.url, RegisterDocument, { input: { email: uniqueEmail(), password: PASSWORD } })).register;
    const connection = await LiveConnection.open(suite.url, token);
    const errorsOf = (query: string) =>
      new Promise<unknown[]>((resolve) => {
        connection.client.subscribe({ query }, { next: () => undefined, error: (errors) => resolve(errors as unknown[]), complete: () => resolve([]) });
      });
    try {
      const greedy = `subscription { ${Array.from({ length: 40 }, (_, i) => `a${i}: sessionsChanged { kind }`).join(' ')} }`;
      for (const query of ['subscription { sessionsChanged { kind ', 'subscription { sessionsChanged { nope } }', greedy, greedy]) {
        const errors = await errorsOf(query);
        expect(errors.length).toBeGreaterThan(0);
        expect(new Set(errors.map((e) => (e as { extensions?: { code?: string } }).extensions?.code))).toEqual(new Set(['BAD_USER_INPUT']));
      }
      expect(connection.closedAt).toBeUndefined();
    } finally {
      await connection.dispose();
    }
  });

  it('a wrong variable type is BAD_USER_INPUT', async () => {
    const response = await graphql(suite.url, SessionsDocument, { unexpected: 1 } as never);
    const typed = await graphql(suite.url, 'mutation ($input: RegisterInput!) { register(input: $input) { token } }', { input: { email: 42 } });
    expect(errorCodes(typed).length).toBeGreaterThan(0);
    expect(new Set(errorCodes(typed))).toEqual(new Set(['BAD_USER_INPUT']));
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });
});
