import { Writable } from 'node:stream';
import pino from 'pino';
import {
  ChangePasswordDocument,
  LoginDocument,
  RegisterDocument,
  ReportUnrecognizedSessionDocument,
  RequestConfirmationCodeDocument,
  RequestEmailVerificationDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  RevokeSessionDocument,
  VerifyEmailDocument,
} from '../generated/graphql';
import { RESET_TOKEN_TTL_MINUTES } from '../../src/auth/password/password.service';
import { MAIL_CAPS, MailKind } from '../../src/mail/capped-mailer.service';
import { accountWithDevices, PASSWORD, uniqueEmail, type SignIn } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql, type GraphqlResponse, type TestDevice } from '../support/client';
import { linkParam, sixDigitCode, sql, startCluster } from '../support/cluster';
import { verificationToken, VERIFICATION_SUBJECT } from '../support/mailboxes';
import { until } from '../support/deferred';
import type { ReceivedMail } from '../support/smtp';

/** Every log line the instances write, parsed. */
class LogLines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  }
}

const DROPPED = 'email dropped: the address has had its share';

/** Browsers on systems no test account has used: each sign-in with one is a NEW_DEVICE. */
const NEW_DEVICES: TestDevice[] = [
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0',
  'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1',
].map((userAgent, i) => ({ ip: `127.0.1.${i + 1}`, userAgent }));

/** Two instances on one Postgres and one Redis, mailing a real SMTP server; every log line kept. */
async function startMailCluster(env: Record<string, string> = {}, count = 2) {
  const logs = new LogLines();
  const cluster = await startCluster({ smtp: true, count, env, logger: pino({ level: 'info', base: undefined }, logs) });
  return Object.assign(cluster, { logs, urls: cluster.instances.map((instance) => instance.url) });
}
type CappedCluster = Awaited<ReturnType<typeof startMailCluster>>;

/**
 * Waits until each of `requests` background emails of `kind` to `email` was either received or
 * dropped by the cap (the mailer logs each drop), then returns the received ones. Drops are
 * counted from log line `from` on, so a test counts only its own.
 */
async function settle(env: CappedCluster, email: string, subject: RegExp, kind: string, from: number, requests: number): Promise<ReceivedMail[]> {
  const received = () => env.smtp.messages.filter((mail) => mail.to === email && subject.test(mail.subject));
  const dropped = () => env.logs.lines.slice(from).filter((line) => line.msg === DROPPED && line.kind === kind).length;
  // A dropped email announces itself only in the log: poll the two counts.
  await until(() => received().length + dropped() >= requests, `${requests} ${kind} emails received or dropped`, 20_000, 25).catch(() => {
    throw new Error(`only ${received().length} ${kind} emails received and ${dropped()} dropped of ${requests}`);
  });
  return received();
}

/** The answer without what differs by nature between two calls (tokens, ids, addresses). */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, shapeOf(inner)]));
  return typeof value === 'string' ? 'string' : value;
}

describe('every kind of email is capped per address, across instances, without locking the owner out', () => {
  let env: CappedCluster;
  beforeAll(async () => {
    env = await startMailCluster();
  });
  afterAll(() => env.dispose());

  /** Alternates between the two instances: a cap counted per instance would let twice as many through. */
  const on = (i: number) => env.urls[i % 2]!;

  it("a flood of reset requests for one address mails it 3 links; every answer is the unknown address's; the first link still works", async () => {
    const { email } = await accountWithDevices(env.urls[0]!, [DEVICES.chromeOnWindows]);
    const from = env.logs.lines.length;
    const unknown = await graphql(on(1), RequestPasswordResetDocument, { email: uniqueEmail('nobody') });
    const answers: GraphqlResponse<unknown>[] = [];
    for (let i = 0; i < 12; i++) answers.push(await graphql(on(i), RequestPasswordResetDocument, { email }));
    for (const answer of answers) expect(answer).toEqual(unknown);
    expect(unknown).toEqual({ status: 200, data: { requestPasswordReset: true } });

    const mails = await settle(env, email, /reset/i, 'password-reset', from, 12);
    expect(mails).toHaveLength(3);
    const [row] = await sql<{ live: string }>(
      env,
      `SELECT count(*) AS live FROM one_time_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = $1 AND t.purpose = 'PASSWORD_RESET' AND t.used_at IS NULL`,
      [email],
    );
    expect(Number(row!.live)).toBe(3); // a capped request issues no link, and cancels none

    const first = linkParam(mails[0]!, '/reset-password', 'token');
    expect(dataOf(await graphql(on(1), ResetPasswordDocument, { token: first, newPassword: 'seven lilac otters at noon' })).resetPassword).toBe(true);
    expect(dataOf(await graphql(on(0), LoginDocument, { input: { email, password: 'seven lilac otters at noon' } })).login.token).toEqual(expect.any(String));
  });

  it('the reset window is no longer than a reset link lives, so while resets are capped the links mailed in the window still work', () => {
    expect(MAIL_CAPS[MailKind.PASSWORD_RESET].windowSeconds).toBeLessThanOrEqual(RESET_TOKEN_TTL_MINUTES * 60);
  });

  it('two instances share one count: three resets asked on one, then three on the other, mail three links', async () => {
    const { email } = await accountWithDevices(env.urls[0]!, [DEVICES.chromeOnWindows]);
    const from = env.logs.lines.length;
    for (let i = 0; i < 6; i++) dataOf(await graphql(env.urls[i < 3 ? 0 : 1]!, RequestPasswordResetDocument, { email }));
    expect(await settle(env, email, /reset/i, 'password-reset', from, 6)).toHaveLength(3);
  });

  it('logs each dropped email at info with its kind and a keyed hash of the address, never the address or a token', async () => {
    const { email } = await accountWithDevices(env.urls[0]!, [DEVICES.chromeOnWindows]);
    const from = env.logs.lines.length;
    for (let i = 0; i < 5; i++) dataOf(await graphql(on(i), RequestPasswordResetDocument, { email }));
    await settle(env, email, /reset/i, 'password-reset', from, 5);
    const drops = env.logs.lines.slice(from).filter((line) => line.msg === DROPPED);
    expect(drops).toHaveLength(2);
    for (const drop of drops) {
      expect(drop).toEqual({
        level: 30,
        time: expect.any(Number),
        msg: DROPPED,
        kind: 'password-reset',
        recipient: expect.stringMatching(/^[0-9a-f]{16}$/),
        retryAfterSeconds: expect.any(Number),
      });
    }
    // Both instances hash an address alike (SECRET_KEY), so the drops of one mailbox can be followed.
    expect(new Set(drops.map((drop) => drop.recipient)).size).toBe(1);
    expect(JSON.stringify(env.logs.lines.slice(from))).not.toContain(email.split('@')[0]);
  });

  it('registering again and again with a verified address mails its owner 3 notices an hour; each answer looks like a new registration; the owner still signs in', async () => {
    const { email } = await accountWithDevices(env.urls[0]!, [DEVICES.chromeOnWindows]);
    const fresh = dataOf(
      await graphql(on(1), RegisterDocument, { input: { email: uniqueEmail(), password: 'a fresh registration passphrase' } }, { device: DEVICES.firefoxOnMac }),
    ).register;
    const from = env.logs.lines.length;
    for (let i = 0; i < 8; i++) {
      const answer = dataOf(await graphql(on(i), RegisterDocument, { input: { email, password: `attacker passphrase number ${i}` } }, { device: DEVICES.firefoxOnMac })).register;
      expect(shapeOf(answer)).toEqual(shapeOf(fresh));
      expect(answer.user.emailVerified).toBe(false);
    }
    const mails = await settle(env, email, /tried to register/i, 'registration-attempt', from, 8);
    expect(mails).toHaveLength(3);
    expect(dataOf(await graphql(on(1), LoginDocument, { input: { email, password: PASSWORD } })).login.token).toEqual(expect.any(String));
  });

  it("sign-ins from eight new devices send 5 alerts, the last saying it is the last for the hour; every sign-in succeeds, and the owner's own too", async () => {
    const { email, signIns } = await accountWithDevices(env.urls[0]!, [DEVICES.chromeOnWindows]);
    const owner = signIns[0]!;
    const from = env.logs.lines.length;
    const thief: SignIn[] = [];
    for (const [i, device] of NEW_DEVICES.entries()) {
      const login = dataOf(await graphql(on(i), LoginDocument, { input: { email, password: PASSWORD } }, { device })).login;
      expect(login.session.flags).toContain('NEW_DEVICE');
      thief.push({ ...login, device });
    }
    const alerts = await settle(env, email, /new sign-in/i, 'sign-in-alert', from, NEW_DEVICES.length);
    expect(alerts).toHaveLength(5);
    expect(alerts.filter((mail) => /last sign-in alert/i.test(mail.text))).toEqual([alerts[4]]);
    // A dropped alert issues no "this wasn't me" link; the links mailed still work.
    const [row] = await sql<{ links: string }>(env, `SELECT count(*) AS links FROM one_time_tokens WHERE user_id = $1 AND purpose = 'UNRECOGNIZED_SIGN_IN'`, [owner.user.id]);
    expect(Number(row!.links)).toBe(5);
    const reported = dataOf(await graphql(on(1), ReportUnrecognizedSessionDocument, { token: linkParam(alerts[0]!, '/report-sign-in', 'token') }));
    expect(reported.reportUnrecognizedSession).toEqual(expect.any(String));

    const again = await graphql(on(0), LoginDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.chromeOnWindows });
    expect(dataOf(again).login.token).toEqual(expect.any(String));
  });

  it('password changes send at most 5 notices an hour; every change still happens', async () => {
    const { email, signIns } = await accountWithDevices(env.urls[0]!, [DEVICES.chromeOnWindows]);
    const owner = signIns[0]!;
    const from = env.logs.lines.length;
    let current = PASSWORD;
    for (let i = 0; i < 7; i++) {
      const next = `changed passphrase number ${i} of seven`;
      expect(
        dataOf(await graphql(on(i), ChangePasswordDocument, { currentPassword: current, newPassword: next, signOutOtherSessions: false }, { token: owner.token })).changePassword,
      ).toBe(true);
      current = next;
    }
    const notices = await settle(env, email, /password was changed/i, 'security-notice', from, 7);
    expect(notices).toHaveLength(5);
    expect(dataOf(await graphql(on(1), LoginDocument, { input: { email, password: current } })).login.token).toEqual(expect.any(String));
  });

  it("requestConfirmationCode past the address's 10 codes an hour tells the signed-in owner RATE_LIMITED with the wait; the code already mailed and the password still confirm", async () => {
    const { email, signIns } = await accountWithDevices(env.urls[0]!, [DEVICES.chromeOnWindows, DEVICES.safariOnIphone, DEVICES.firefoxOnMac]);
    const [a, b, c] = signIns as [SignIn, SignIn, SignIn];
    const codeMails = () => env.smtp.messages.filter((mail) => mail.to === email && mail.subject === 'Your confirmation code');
    // Five per session in 15 minutes, so two sessions reach the address's ten.
    for (let i = 0; i < 5; i++) dataOf(await graphql(on(i), RequestConfirmationCodeDocument, {}, { token: a.token }));
    for (let i = 0; i < 5; i++) dataOf(await graphql(on(i), RequestConfirmationCodeDocument, {}, { token: b.token }));
    expect(codeMails()).toHaveLength(10);
    const lastCode = sixDigitCode(codeMails()[9]!);

    const refused = await graphql(on(1), RequestConfirmationCodeDocument, {}, { token: c.token });
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    // The address's hour, not the session's 15 minutes: c asked for nothing before.
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(15 * 60);
    expect(codeMails()).toHaveLength(10);

    const byCode = await graphql(on(0), RevokeSessionDocument, { id: c.session.id, confirmation: { emailCode: lastCode } }, { token: b.token });
    expect(dataOf(byCode).revokeSession.revokedSessionIds).toEqual([c.session.id]);
    const byPassword = await graphql(on(1), RevokeSessionDocument, { id: b.session.id, confirmation: { password: PASSWORD } }, { token: a.token });
    expect(dataOf(byPassword).revokeSession.revokedSessionIds).toEqual([b.session.id]);
  });

  it("registrations that use up an unproven address's verification emails leave its first link working, and requestEmailVerification answers true", async () => {
    const email = uniqueEmail();
    const owner = dataOf(await graphql(on(0), RegisterDocument, { input: { email, password: PASSWORD } })).register;
    const from = env.logs.lines.length;
    // Each registration of the held address makes a pending account, whose link would claim it.
    for (let i = 0; i < 6; i++) dataOf(await graphql(on(i), RegisterDocument, { input: { email, password: `attacker passphrase number ${i}` } }, { device: DEVICES.firefoxOnMac }));
    const mails = await settle(env, email, new RegExp(VERIFICATION_SUBJECT), 'email-verification', from, 7);
    expect(mails).toHaveLength(5);
    const ownersLink = verificationToken(mails.find((mail) => !/already uses this address/.test(mail.text))!.text)!;

    const before = env.logs.lines.length;
    expect(dataOf(await graphql(on(1), RequestEmailVerificationDocument, {}, { token: owner.token })).requestEmailVerification).toBe(true);
    expect(await settle(env, email, new RegExp(VERIFICATION_SUBJECT), 'email-verification', before, 6)).toHaveLength(5);

    dataOf(await graphql(on(0), VerifyEmailDocument, { token: ownersLink }));
    expect(dataOf(await graphql(on(1), LoginDocument, { input: { email, password: PASSWORD } })).login.token).toEqual(expect.any(String));
  });
});

describe('the daily total per address', () => {
  let env: CappedCluster;
  beforeAll(async () => {
    env = await startMailCluster({ MAIL_CAP_PER_ADDRESS_PER_DAY: '4' }, 1);
  });
  afterAll(() => env.dispose());

  it('holds back codes and notices of attempts once spent, but never a reset or a sign-in alert', async () => {
    const url = env.urls[0]!;
    const { email, signIns } = await accountWithDevices(url, [DEVICES.chromeOnWindows]); // 1: the verification link
    const owner = signIns[0]!;
    const from = env.logs.lines.length;
    for (let i = 0; i < 3; i++) dataOf(await graphql(url, RegisterDocument, { input: { email, password: `attacker passphrase number ${i}` } })); // 2-4
    expect(await settle(env, email, /tried to register/i, 'registration-attempt', from, 3)).toHaveLength(3);

    const refused = await graphql(url, RequestConfirmationCodeDocument, {}, { token: owner.token });
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(60 * 60);

    dataOf(await graphql(url, RequestPasswordResetDocument, { email }));
    const reset = await env.smtp.next((mail) => mail.to === email && /reset/i.test(mail.subject));
    dataOf(await graphql(url, LoginDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.safariOnIphone }));
    await env.smtp.next((mail) => mail.to === email && /new sign-in/i.test(mail.subject));
    expect(
      dataOf(await graphql(url, ResetPasswordDocument, { token: linkParam(reset, '/reset-password', 'token'), newPassword: 'seven lilac otters at noon' })).resetPassword,
    ).toBe(true);
  });
});
