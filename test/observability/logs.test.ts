import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { print } from 'graphql';
import { currentTotpCode, TOTP_PERIOD_SECONDS } from '../../src/auth/two-factor/totp';
import { createLogger } from '../../src/common/logger';
import { BeginTotpSetupDocument, ConfirmTotpSetupDocument, LoginDocument, LogoutDocument, RegisterDocument } from '../generated/graphql';
import { accountWithDevices, verifyAddress } from '../support/accounts';
import { dataOf, DEVICES, graphql, LiveConnection } from '../support/client';
import { within } from '../support/deferred';
import { clusterPerSuite } from '../support/cluster';

/** Everything the instance logs, as an operator would read it. */
class LogBuffer extends Writable {
  text = '';
  private waiters: { matches: (line: Record<string, unknown>) => boolean; from: number; found: () => void }[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    this.waiters = this.waiters.filter((waiter) => !(this.lines(waiter.from).some(waiter.matches) && (waiter.found(), true)));
    done();
  }
  /** Resolves once a line written after `from` matches. */
  waitFor(matches: (line: Record<string, unknown>) => boolean, from: number): Promise<void> {
    if (this.lines(from).some(matches)) return Promise.resolve();
    return within(new Promise<void>((found) => this.waiters.push({ matches, from, found })), 5000, 'the log line');
  }
  lines(from = 0): Record<string, unknown>[] {
    return this.text
      .slice(from)
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function post(url: string, body: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', localAddress: DEVICES.chromeOnWindows.ip, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const secret = (prefix: string) => `${prefix}-${randomBytes(18).toString('base64url')}`;

describe('structured logs: a request id on every line of a request, never a password, token or code', () => {
  const logs = new LogBuffer();
  const suite = clusterPerSuite({ logger: createLogger('debug', logs) });

  it('a two-factor login logs its request id (echoed in X-Request-Id), and no part of its password, token or TOTP code', async () => {
    const email = `logs-${randomBytes(4).toString('hex')}@example.com`;
    const password = secret('pw');
    const registered = dataOf(await graphql(suite.url, RegisterDocument, { input: { email, password } })).register;
    await verifyAddress(suite.url, email);
    const { secret: totpSecret } = dataOf(await graphql(suite.url, BeginTotpSetupDocument, {}, { token: registered.token })).beginTotpSetup;
    dataOf(await graphql(suite.url, ConfirmTotpSetupDocument, { code: await currentTotpCode(totpSecret) }, { token: registered.token }));

    // The next step's code: the current one was spent confirming the setup.
    const code = await currentTotpCode(totpSecret, new Date(Date.now() + TOTP_PERIOD_SECONDS * 1000));
    const requestId = `req-${randomBytes(8).toString('hex')}`;
    const before = logs.text.length;
    const response = await post(suite.url, JSON.stringify({ query: print(LoginDocument), operationName: 'Login', variables: { input: { email, password, otp: code } } }), {
      'x-request-id': requestId,
      authorization: `Bearer ${registered.token}`,
    });
    expect(response.status).toBe(200);
    expect(response.headers['x-request-id']).toBe(requestId);
    const token = (JSON.parse(response.body) as { data: { login: { token: string } } }).data.login.token;

    const access = logs.lines(before).find((line) => line.requestId === requestId && line.msg === 'request');
    expect(access).toMatchObject({ method: 'POST', path: '/graphql', status: 200, operation: 'login', operationName: 'Login', outcome: 'OK', ms: expect.any(Number) });
    for (const value of [password, token, registered.token, totpSecret]) {
      for (let i = 0; i + 8 <= value.length; i++) expect(logs.text).not.toContain(value.slice(i, i + 8));
    }
    expect(logs.text).not.toContain(`"${code}"`);
    expect(logs.text).not.toContain(code);
  });

  it('lines logged by work a request started carry its request id (the registration email)', async () => {
    const before = logs.text.length;
    const email = `logs-${randomBytes(4).toString('hex')}@example.com`;
    const response = await post(suite.url, JSON.stringify({ query: print(RegisterDocument), variables: { input: { email, password: secret('pw') } } }), {
      'x-request-id': 'register-1',
    });
    expect(response.status).toBe(200);
    // The verification email is written after the response went out; its line still names the request.
    await logs.waitFor((line) => line.requestId === 'register-1' && String(line.msg).startsWith('email written to outbox'), before);
  });

  it('a wrong password is logged as its outcome, without the password', async () => {
    const password = secret('wrong');
    const before = logs.text.length;
    const response = await post(suite.url, JSON.stringify({ query: print(LoginDocument), variables: { input: { email: 'nobody@example.com', password } } }), {});
    const requestId = response.headers['x-request-id'];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(logs.lines(before)).toContainEqual(expect.objectContaining({ requestId, operation: 'login', outcome: 'INVALID_CREDENTIALS', status: 200 }));
    expect(logs.text).not.toContain(password);
  });

  it.each([
    ['an encoded line break', 'abc%0d%0ax-injected: 1'],
    ['JSON', '{"level":60}'],
    ['an overlong id', 'a'.repeat(129)],
  ])('replaces an incoming X-Request-Id with %s by one of its own', async (_what, incoming) => {
    const response = await post(suite.url, JSON.stringify({ query: '{ __typename }' }), { 'x-request-id': incoming });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(logs.text).not.toContain(incoming);
  });

  it('a malformed body is logged with its request id and without its content', async () => {
    const password = secret('pw');
    const before = logs.text.length;
    const response = await post(suite.url, `{"query":"mutation { login }","variables":{"password":"${password}"`, { 'x-request-id': 'malformed-1' });
    expect(response.status).toBe(400);
    const lines = logs.lines(before).filter((line) => line.requestId === 'malformed-1');
    expect(lines.map((line) => line.msg)).toEqual([expect.stringContaining('request refused before GraphQL'), 'request']);
    expect(lines[1]).toMatchObject({ status: 400, path: '/graphql' });
    expect(logs.text).not.toContain(password.slice(3));
  });

  it('an email link path is logged without its query string (it carries the token)', async () => {
    const token = secret('link');
    const before = logs.text.length;
    await new Promise<void>((resolve, reject) => {
      request(new URL(`/reset-password?token=${token}`, suite.url), (res) => res.resume().on('end', resolve))
        .on('error', reject)
        .end();
    });
    expect(logs.lines(before)).toContainEqual(expect.objectContaining({ msg: 'request', method: 'GET', path: '/reset-password', status: 200 }));
    expect(logs.text).not.toContain(token);
  });

  it('a WebSocket logs its opening and its 4401 close under one request id, without the token', async () => {
    const { signIns } = await accountWithDevices(suite.url, [DEVICES.chromeOnWindows]);
    const [a] = signIns as [(typeof signIns)[number]];
    const before = logs.text.length;
    const socket = await LiveConnection.open(suite.url, a.token);
    dataOf(await graphql(suite.url, LogoutDocument, {}, { token: a.token }));
    expect((await socket.waitForClose()).code).toBe(4401);
    await socket.dispose();
    await logs.waitFor((line) => line.msg === 'socket closed', before);
    const lines = logs.lines(before);
    const opened = lines.find((line) => line.msg === 'socket opened');
    expect(opened).toMatchObject({ path: '/graphql', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'socket closed', requestId: opened!.requestId, closeCode: 4401, reason: 'Session terminated' }));
    expect(logs.text).not.toContain(a.token);
  });

  it('redacts secrets wherever a log call puts them', () => {
    const out = new LogBuffer();
    createLogger('info', out).info(
      {
        headers: { authorization: 'Bearer so_redact-me-1', cookie: 'sid=redact-me-2' },
        password: 'redact-me-3',
        input: { password: 'redact-me-4', otp: 'redact-me-5', email: 'kept@example.com' },
        confirmation: { code: 'redact-me-6' },
        req: { variables: { token: 'redact-me-7' } },
        err: { code: 'ECONNREFUSED' },
      },
      'something happened',
    );
    expect(out.text).not.toMatch(/redact-me/);
    expect(out.lines()[0]).toMatchObject({ msg: 'something happened', password: '[redacted]', input: { email: 'kept@example.com' }, err: { code: 'ECONNREFUSED' } });
  });
});
