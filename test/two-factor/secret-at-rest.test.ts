import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { currentTotpCode } from '../../src/auth/two-factor/totp';
import { SecretBox } from '../../src/common/secret-box';
import { ConfigError, loadConfig } from '../../src/config/config';
import { startServer } from '../../src/server';
import { BeginTotpSetupDocument, ConfirmTotpSetupDocument, LoginDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD } from '../support/accounts';
import { dataOf, errorCodes, graphql } from '../support/client';
import { clusterPerSuite, sql, startCluster, TEST_DATABASE_URL } from '../support/cluster';

class LogBuffer extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

/** Every way a base32 secret could sit in a column: as is, lower case, or its bytes in hex/base64. */
function expectNoTraceOf(secret: string, stored: string): void {
  const bytes = base32Decode(secret);
  for (const form of [secret, secret.toLowerCase(), bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')]) {
    expect(stored).not.toContain(form.slice(0, 12));
  }
}

function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text.replace(/=+$/, '')) bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  return Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)));
}

type UserSecrets = { id: string; totp_secret: string | null; totp_pending_secret: string | null };

describe('TOTP secrets are encrypted at rest', () => {
  const logs = new LogBuffer();
  const suite = clusterPerSuite({ logger: pino({ level: 'info', base: undefined }, logs) });

  const secretsOf = async (email: string) => (await sql<UserSecrets>(suite, 'SELECT id, totp_secret, totp_pending_secret FROM users WHERE email = $1', [email]))[0]!;

  /** Logs in with a fresh code; the last used step is cleared first, so codes of one step can serve several logins. */
  async function loginWithTotp(email: string, secret: string, url = suite.url) {
    await sql(suite, 'UPDATE users SET totp_last_step = NULL WHERE email = $1', [email]);
    return graphql(url, LoginDocument, { input: { email, password: PASSWORD, otp: await currentTotpCode(secret) } });
  }

  async function withTwoFactor(): Promise<{ email: string; secret: string }> {
    const { email, signIns } = await accountWithDevices(suite.url, [{ ip: '127.0.0.2', userAgent: 'secret-at-rest test' }]);
    const token = signIns[0]!.token;
    const { secret } = dataOf(await graphql(suite.url, BeginTotpSetupDocument, {}, { token })).beginTotpSetup;
    const pending = await secretsOf(email);
    expect(pending.totp_pending_secret).toMatch(/^v1:/);
    expectNoTraceOf(secret, pending.totp_pending_secret!);
    dataOf(await graphql(suite.url, ConfirmTotpSetupDocument, { code: await currentTotpCode(secret) }, { token }));
    return { email, secret };
  }

  it('the users row in Postgres holds no base32 secret, pending or confirmed, and TOTP sign-in still works', async () => {
    const { email, secret } = await withTwoFactor();
    const row = await secretsOf(email);
    expect(row.totp_pending_secret).toBeNull();
    expect(row.totp_secret).toMatch(/^v1:[A-Za-z0-9_-]+$/);
    expectNoTraceOf(secret, row.totp_secret!);
    expect(dataOf(await loginWithTotp(email, secret)).login.token).toEqual(expect.any(String));
    // Without the code, the password alone is still not enough.
    expect(errorCodes(await graphql(suite.url, LoginDocument, { input: { email, password: PASSWORD } }))).toEqual(['TWO_FACTOR_REQUIRED']);
  });

  it('a secret stored in plaintext before encryption keeps working, and is sealed when an instance starts', async () => {
    const { email, secret } = await withTwoFactor();
    await sql(suite, 'UPDATE users SET totp_secret = $1 WHERE email = $2', [secret, email]);
    expect(dataOf(await loginWithTotp(email, secret)).login.token).toEqual(expect.any(String));

    const restarted = await startServer(suite.config, pino({ level: 'silent' }));
    try {
      const row = await secretsOf(email);
      expect(row.totp_secret).toMatch(/^v1:/);
      expectNoTraceOf(secret, row.totp_secret!);
      expect(dataOf(await loginWithTotp(email, secret, restarted.url)).login.token).toEqual(expect.any(String));
    } finally {
      await restarted.dispose();
    }
  });

  it('a secret sealed under another key, or copied from another account, fails closed: an internal error, logged clearly, nothing leaked', async () => {
    const victim = await withTwoFactor();
    const other = await withTwoFactor();
    const foreignKey = new SecretBox(randomBytes(32)).seal(victim.secret, 'totp:whatever');
    const copied = (await secretsOf(other.email)).totp_secret;
    for (const stored of [foreignKey, copied]) {
      await sql(suite, 'UPDATE users SET totp_secret = $1 WHERE email = $2', [stored, victim.email]);
      const before = logs.text.length;
      const response = await loginWithTotp(victim.email, victim.secret);
      expect(response.data?.login ?? null).toBeNull();
      expect(errorCodes(response)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(JSON.stringify(response)).not.toMatch(/SECRET_KEY|v1:|aes|decrypt|stack/i);
      expectNoTraceOf(victim.secret, JSON.stringify(response));
      expect(logs.text.slice(before)).toContain('does not open with this SECRET_KEY');
      expectNoTraceOf(victim.secret, logs.text);
    }
  });

  it('an instance started with a different SECRET_KEY refuses to start, naming the variable', async () => {
    await withTwoFactor();
    const wrongKey = { ...suite.config, secretKey: randomBytes(32) };
    await expect(startServer(wrongKey, pino({ level: 'silent' }))).rejects.toThrow(/SECRET_KEY does not open the stored two-factor secrets/);
  });

  it('SECRET_KEY is required with DATABASE_URL and must be 32 bytes; the error names it and never echoes the value', () => {
    const attempt = (env: Record<string, string>) => {
      try {
        loadConfig({ DATABASE_URL: TEST_DATABASE_URL, ...env });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return String((err as Error).message);
      }
      throw new Error('loadConfig accepted it');
    };
    expect(attempt({})).toMatch(/SECRET_KEY is required with DATABASE_URL/);
    const tooShort = randomBytes(16).toString('base64');
    const message = attempt({ SECRET_KEY: tooShort });
    expect(message).toMatch(/SECRET_KEY must be 32 bytes/);
    expect(message).not.toContain(tooShort);
    expect(loadConfig({ DATABASE_URL: TEST_DATABASE_URL, SECRET_KEY: randomBytes(32).toString('hex') }).secretKey).toHaveLength(32);
  });
});

describe('the embedded default keeps its key next to the database, private', () => {
  it('creates the data folder 0700, the SQLite file and secret.key 0600, and reuses the key after a restart', async () => {
    const root = mkdtempSync(join(tmpdir(), 'signoff-key-'));
    const dataDir = join(root, 'data');
    const env = { SQLITE_PATH: join(dataDir, 'signoff.sqlite') };
    try {
      const first = await startCluster({ backend: 'sqlite', env });
      const mode = (path: string) => statSync(path).mode & 0o777;
      let email: string;
      let secret: string;
      try {
        expect(mode(dataDir)).toBe(0o700);
        expect(mode(join(dataDir, 'signoff.sqlite'))).toBe(0o600);
        expect(mode(join(dataDir, 'secret.key'))).toBe(0o600);
        const url = first.url;
        const { email: registered, signIns } = await accountWithDevices(url, [{ ip: '127.0.0.2', userAgent: 'sqlite key test' }]);
        email = registered;
        secret = dataOf(await graphql(url, BeginTotpSetupDocument, {}, { token: signIns[0]!.token })).beginTotpSetup.secret;
        dataOf(await graphql(url, ConfirmTotpSetupDocument, { code: await currentTotpCode(secret) }, { token: signIns[0]!.token }));
        expect(readFileSync(join(dataDir, 'signoff.sqlite')).toString('latin1')).not.toContain(secret);
      } finally {
        await first.dispose(); // its own scratch folder only: the data folder stays
      }
      const keyBefore = readFileSync(join(dataDir, 'secret.key'), 'utf8');
      const second = await startServer(loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', OUTBOX_DIR: join(root, 'outbox'), ...env }));
      try {
        expect(readFileSync(join(dataDir, 'secret.key'), 'utf8')).toBe(keyBefore);
        // The step of the setup code is used: the next step's code is accepted (clock drift) and unused.
        const otp = await currentTotpCode(secret, new Date(Date.now() + 30_000));
        expect(dataOf(await graphql(second.url, LoginDocument, { input: { email, password: PASSWORD, otp } })).login.token).toEqual(expect.any(String));
      } finally {
        await second.dispose();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
