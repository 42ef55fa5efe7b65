import { AuditLogDocument, BeginTotpSetupDocument, ConfirmTotpSetupDocument, DisableTotpDocument, LoginDocument, MeDocument, SessionsDocument } from '../generated/graphql';
import { currentTotpCode } from '../../src/auth/two-factor/totp';
import { accountWithDevices, PASSWORD, type SignIn } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql } from '../support/client';
import { clusterPerSuite, sql } from '../support/cluster';

/** The code of the step after the current one: valid now (clock drift), and not yet used by anyone. */
function nextStepCode(secret: string): Promise<string> {
  return currentTotpCode(secret, new Date(Date.now() + 30_000));
}

/** Six digits that are none of the codes the server could accept around now. */
async function wrongCode(secret: string): Promise<string> {
  const near = new Set(await Promise.all([-60, -30, 0, 30, 60].map((s) => currentTotpCode(secret, new Date(Date.now() + s * 1000)))));
  let candidate = Number(await currentTotpCode(secret));
  do candidate = (candidate + 137_911) % 1_000_000;
  while (near.has(String(candidate).padStart(6, '0')));
  return String(candidate).padStart(6, '0');
}

describe('two-factor authentication with TOTP and recovery codes', () => {
  const cluster = clusterPerSuite();

  async function signedUp(): Promise<{ email: string; a: SignIn }> {
    const { email, signIns } = await accountWithDevices(cluster.url, [DEVICES.chromeOnWindows]);
    return { email, a: signIns[0]! };
  }

  async function withTwoFactor(): Promise<{ email: string; a: SignIn; secret: string; setupCode: string; recoveryCodes: string[] }> {
    const { email, a } = await signedUp();
    const { secret } = dataOf(await graphql(cluster.url, BeginTotpSetupDocument, {}, { token: a.token })).beginTotpSetup;
    const setupCode = await currentTotpCode(secret);
    const recoveryCodes = dataOf(await graphql(cluster.url, ConfirmTotpSetupDocument, { code: setupCode }, { token: a.token })).confirmTotpSetup;
    return { email, a, secret, setupCode, recoveryCodes };
  }

  async function loginCodes(email: string, otp?: string, password = PASSWORD): Promise<unknown[]> {
    const response = await graphql(cluster.url, LoginDocument, { input: { email, password, otp } });
    return response.errors ? errorCodes(response) : ['OK'];
  }

  const twoFactorEnabled = async (token: string) => dataOf(await graphql(cluster.url, MeDocument, {}, { token })).me.twoFactorEnabled;

  const unusedRecoveryCodes = async (userId: string) =>
    Number((await sql<{ n: string }>(cluster, `SELECT count(*) AS n FROM one_time_tokens WHERE user_id = $1 AND purpose = 'RECOVERY_CODE' AND used_at IS NULL`, [userId]))[0]!.n);

  it('a wrong code at confirmTotpSetup is INVALID_CONFIRMATION and two-factor stays off', async () => {
    const { email, a } = await signedUp();
    const { secret } = dataOf(await graphql(cluster.url, BeginTotpSetupDocument, {}, { token: a.token })).beginTotpSetup;

    for (const code of [await wrongCode(secret), 'abcdef']) {
      expect(errorCodes(await graphql(cluster.url, ConfirmTotpSetupDocument, { code }, { token: a.token }))).toEqual(['INVALID_CONFIRMATION']);
    }
    expect(await twoFactorEnabled(a.token)).toBe(false);
    const [user] = await sql<{ totp_secret: string | null }>(cluster, 'SELECT totp_secret FROM users WHERE id = $1', [a.user.id]);
    expect(user!.totp_secret).toBeNull();
    expect(await unusedRecoveryCodes(a.user.id)).toBe(0);
    expect(await loginCodes(email)).toEqual(['OK']);

    // The setup is still pending: the right code turns it on.
    expect(dataOf(await graphql(cluster.url, ConfirmTotpSetupDocument, { code: await currentTotpCode(secret) }, { token: a.token })).confirmTotpSetup).toHaveLength(10);
    expect(await twoFactorEnabled(a.token)).toBe(true);
  });

  it('beginTotpSetup when two-factor is already on is BAD_USER_INPUT and keeps the app that is set up', async () => {
    const { email, a, secret } = await withTwoFactor();
    const before = await sql(cluster, 'SELECT totp_secret, totp_pending_secret FROM users WHERE id = $1', [a.user.id]);

    expect(errorCodes(await graphql(cluster.url, BeginTotpSetupDocument, {}, { token: a.token }))).toEqual(['BAD_USER_INPUT']);
    expect(await sql(cluster, 'SELECT totp_secret, totp_pending_secret FROM users WHERE id = $1', [a.user.id])).toEqual(before);
    expect(await loginCodes(email, await nextStepCode(secret))).toEqual(['OK']);
  });

  it('the otpauth URL names the issuer and the account email, and carries the secret', async () => {
    const { email, a } = await signedUp();
    const { secret, otpauthUrl } = dataOf(await graphql(cluster.url, BeginTotpSetupDocument, {}, { token: a.token })).beginTotpSetup;
    expect(secret).toMatch(/^[A-Z2-7]{32,}=*$/);

    const parsed = new URL(otpauthUrl);
    expect(parsed.protocol).toBe('otpauth:');
    expect(parsed.host).toBe('totp');
    expect(decodeURIComponent(parsed.pathname)).toBe(`/signoff:${email}`);
    expect(parsed.searchParams.get('issuer')).toBe('signoff');
    expect(parsed.searchParams.get('secret')).toBe(secret);
  });

  it('signing in with a wrong TOTP code is INVALID_CREDENTIALS, and a wrong password is refused before the code is asked', async () => {
    const { email, secret } = await withTwoFactor();
    expect(await loginCodes(email, await wrongCode(secret))).toEqual(['INVALID_CREDENTIALS']);
    expect(await loginCodes(email, '12345')).toEqual(['INVALID_CREDENTIALS']);
    // A wrong password says nothing about the second factor, even with a right code.
    expect(await loginCodes(email, undefined, 'not the password')).toEqual(['INVALID_CREDENTIALS']);
    expect(await loginCodes(email, await nextStepCode(secret), 'not the password')).toEqual(['INVALID_CREDENTIALS']);
    // None of that used up the code: it still signs in.
    expect(await loginCodes(email, await nextStepCode(secret))).toEqual(['OK']);
  });

  it('a TOTP code cannot be replayed: neither the setup code nor one that already signed in', async () => {
    const { email, secret, setupCode } = await withTwoFactor();
    expect(await loginCodes(email, setupCode)).toEqual(['INVALID_CREDENTIALS']);
    const code = await nextStepCode(secret);
    expect(await loginCodes(email, code)).toEqual(['OK']);
    expect(await loginCodes(email, code)).toEqual(['INVALID_CREDENTIALS']);
    expect(await loginCodes(email, ` ${code.slice(0, 3)} ${code.slice(3)} `)).toEqual(['INVALID_CREDENTIALS']);
  });

  it('each of the ten recovery codes signs in exactly once, and is stored only hashed', async () => {
    const { email, a, recoveryCodes } = await withTwoFactor();
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(await unusedRecoveryCodes(a.user.id)).toBe(10);
    const stored = await sql<{ token_hash: string }>(cluster, `SELECT token_hash FROM one_time_tokens WHERE user_id = $1 AND purpose = 'RECOVERY_CODE'`, [a.user.id]);
    const dump = JSON.stringify(stored);
    for (const code of recoveryCodes) {
      expect(dump).not.toContain(code);
      expect(dump).not.toContain(code.replace('-', ''));
    }

    const [first, , , , , sixth, , , , tenth] = recoveryCodes;
    for (const code of [first!, sixth!, tenth!]) expect(await loginCodes(email, code)).toEqual(['OK']);
    for (const code of [first!, sixth!, tenth!]) expect(await loginCodes(email, code)).toEqual(['INVALID_CREDENTIALS']);
    expect(await unusedRecoveryCodes(a.user.id)).toBe(7);
  });

  it('a recovery code typed in upper case or with spaces instead of the dash still works, once', async () => {
    const { email, recoveryCodes } = await withTwoFactor();
    const [one, two] = recoveryCodes as [string, string];
    const upper = one.toUpperCase();
    const spaced = ` ${two.replace('-', ' ')} `;
    expect(upper).not.toBe(one);

    expect(await loginCodes(email, upper)).toEqual(['OK']);
    expect(await loginCodes(email, spaced)).toEqual(['OK']);
    // The same codes, as printed: already used.
    expect(await loginCodes(email, one)).toEqual(['INVALID_CREDENTIALS']);
    expect(await loginCodes(email, two)).toEqual(['INVALID_CREDENTIALS']);
  });

  it('after disableTotp the password alone signs in again, and the old recovery codes never work again', async () => {
    const { email, a, recoveryCodes } = await withTwoFactor();
    expect(await loginCodes(email)).toEqual(['TWO_FACTOR_REQUIRED']);

    expect(dataOf(await graphql(cluster.url, DisableTotpDocument, { confirmation: { password: PASSWORD } }, { token: a.token })).disableTotp).toBe(true);
    expect(await twoFactorEnabled(a.token)).toBe(false);
    expect(await loginCodes(email)).toEqual(['OK']);
    expect(await unusedRecoveryCodes(a.user.id)).toBe(0);
    const [user] = await sql<{ totp_secret: string | null }>(cluster, 'SELECT totp_secret FROM users WHERE id = $1', [a.user.id]);
    expect(user!.totp_secret).toBeNull();

    // Turned on again with a new app: only the new recovery codes work.
    const { secret } = dataOf(await graphql(cluster.url, BeginTotpSetupDocument, {}, { token: a.token })).beginTotpSetup;
    const fresh = dataOf(await graphql(cluster.url, ConfirmTotpSetupDocument, { code: await currentTotpCode(secret) }, { token: a.token })).confirmTotpSetup;
    for (const old of recoveryCodes.slice(0, 3)) expect(await loginCodes(email, old)).toEqual(['INVALID_CREDENTIALS']);
    expect(await loginCodes(email, fresh[0])).toEqual(['OK']);
  });

  it('the TOTP secret cannot be read through the API once setup has begun', async () => {
    const { a, secret } = await withTwoFactor();

    // Only beginTotpSetup returns a TotpSetup, and no other field of the schema is a secret.
    const introspection = dataOf(
      await graphql<
        { __schema: { types: { name: string; fields: { name: string; type: { name: string | null; ofType: { name: string | null } | null } }[] | null }[] } },
        Record<string, never>
      >(cluster.url, '{ __schema { types { name fields { name type { name ofType { name } } } } } }', {}),
    );
    const fields = introspection.__schema.types
      .filter((type) => !type.name.startsWith('__'))
      .flatMap((type) => (type.fields ?? []).map((field) => ({ owner: type.name, name: field.name, returns: field.type.name ?? field.type.ofType?.name })));
    expect(fields.filter((f) => f.returns === 'TotpSetup').map((f) => `${f.owner}.${f.name}`)).toEqual(['Mutation.beginTotpSetup']);
    expect(
      fields
        .filter((f) => /secret|otpauth/i.test(f.name))
        .map((f) => `${f.owner}.${f.name}`)
        .sort(),
    ).toEqual(['TotpSetup.otpauthUrl', 'TotpSetup.secret']);

    // Everything the account can read about itself, and none of it holds the secret.
    const readable = JSON.stringify([
      await graphql(cluster.url, MeDocument, {}, { token: a.token }),
      await graphql(cluster.url, SessionsDocument, {}, { token: a.token }),
      await graphql(cluster.url, AuditLogDocument, { first: 100 }, { token: a.token }),
      await graphql(cluster.url, BeginTotpSetupDocument, {}, { token: a.token }),
    ]);
    expect(readable).not.toContain(secret);
    expect(errorCodes(await graphql(cluster.url, BeginTotpSetupDocument, {}, { token: a.token }))).toEqual(['BAD_USER_INPUT']);
  });
});
