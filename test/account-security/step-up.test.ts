import {
  BeginTotpSetupDocument,
  ConfirmTotpSetupDocument,
  DisableTotpDocument,
  MeDocument,
  RequestConfirmationCodeDocument,
  RevokeOtherSessionsDocument,
  RevokeSessionDocument,
} from '../generated/graphql';
import { currentTotpCode } from '../../src/auth/two-factor/totp';
import { accountWithDevices, PASSWORD } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql } from '../support/client';
import { sixDigitCode, startCluster, type MailCluster, sql } from '../support/cluster';

describe('step-up confirmation before signing devices out', () => {
  let strict: MailCluster; // window 0: every action needs its own confirmation
  let lenient: MailCluster; // default 300 s window

  beforeAll(async () => {
    [strict, lenient] = await Promise.all([startCluster({ smtp: true, env: { STEP_UP_WINDOW_SECONDS: '0' } }), startCluster({ smtp: true })]);
  });
  afterAll(async () => {
    await Promise.all([strict.dispose(), lenient.dispose()]);
  });

  it('a sign-in counts as a confirmation for the step-up window', async () => {
    const { signIns } = await accountWithDevices(lenient.url);
    const [a, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
    expect(dataOf(await graphql(lenient.url, RevokeSessionDocument, { id: b.session.id }, { token: a.token })).revokeSession.revokedCount).toBe(1);
  });

  it('revokeOtherSessions without a confirmation is STEP_UP_REQUIRED, and nothing is ended', async () => {
    const { signIns } = await accountWithDevices(strict.url);
    const [a, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
    const response = await graphql(strict.url, RevokeOtherSessionsDocument, {}, { token: a.token });
    expect(errorCodes(response)).toEqual(['STEP_UP_REQUIRED']);
    expect(response.errors?.[0]?.extensions?.warning).toMatch(/every other device/);
    expect(dataOf(await graphql(strict.url, MeDocument, {}, { token: b.token })).me.id).toBe(a.user.id);
  });

  it('revoking the calling session itself needs no confirmation', async () => {
    const { signIns } = await accountWithDevices(strict.url, [DEVICES.chromeOnWindows]);
    const a = signIns[0]!;
    expect(dataOf(await graphql(strict.url, RevokeSessionDocument, { id: a.session.id }, { token: a.token })).revokeSession.revokedCount).toBe(1);
    expect(errorCodes(await graphql(strict.url, MeDocument, {}, { token: a.token }))).toEqual(['UNAUTHENTICATED']);
  });

  it('an emailed code confirms once, only for the session that asked', async () => {
    const { email, signIns } = await accountWithDevices(strict.url, [DEVICES.chromeOnWindows, DEVICES.safariOnIphone, DEVICES.chromeOnPixel]);
    const [a, b, c] = signIns as [(typeof signIns)[0], (typeof signIns)[0], (typeof signIns)[0]];
    expect(dataOf(await graphql(strict.url, RequestConfirmationCodeDocument, {}, { token: a.token, device: a.device })).requestConfirmationCode).toBe(true);
    const mail = await strict.smtp.next((m) => m.to === email && /code/i.test(m.subject));
    expect(mail.text).toContain('Chrome on Windows');
    const code = sixDigitCode(mail);

    // Another session of the same account cannot use A's code.
    expect(errorCodes(await graphql(strict.url, RevokeSessionDocument, { id: a.session.id, confirmation: { emailCode: code } }, { token: c.token }))).toEqual([
      'INVALID_CONFIRMATION',
    ]);
    expect(dataOf(await graphql(strict.url, RevokeSessionDocument, { id: b.session.id, confirmation: { emailCode: code } }, { token: a.token })).revokeSession.revokedCount).toBe(
      1,
    );
    expect(errorCodes(await graphql(strict.url, RevokeSessionDocument, { id: c.session.id, confirmation: { emailCode: code } }, { token: a.token }))).toEqual([
      'INVALID_CONFIRMATION',
    ]);
  });

  it('a TOTP code confirms once two-factor has been on for a day, and TOTP is then offered', async () => {
    const { signIns } = await accountWithDevices(strict.url);
    const [a, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
    const { secret } = dataOf(await graphql(strict.url, BeginTotpSetupDocument, { confirmation: { password: PASSWORD } }, { token: a.token })).beginTotpSetup;
    const setupCode = await currentTotpCode(secret);
    dataOf(await graphql(strict.url, ConfirmTotpSetupDocument, { code: setupCode }, { token: a.token }));
    // An app younger than a day cannot sign devices out (takeover.test.ts): this one is older.
    await sql(strict, `UPDATE users SET totp_enabled_at = now() - interval '25 hours' WHERE id = $1`, [a.user.id]);

    const required = await graphql(strict.url, RevokeSessionDocument, { id: b.session.id }, { token: a.token });
    expect(required.errors?.[0]?.extensions?.methods).toEqual(['PASSWORD', 'TOTP', 'EMAIL_CODE']);
    // The code that turned two-factor on cannot be replayed.
    expect(errorCodes(await graphql(strict.url, RevokeSessionDocument, { id: b.session.id, confirmation: { otp: setupCode } }, { token: a.token }))).toEqual([
      'INVALID_CONFIRMATION',
    ]);
  });

  it('disableTotp always needs a right confirmation', async () => {
    const { signIns } = await accountWithDevices(lenient.url, [DEVICES.chromeOnWindows]);
    const a = signIns[0]!;
    const { secret } = dataOf(await graphql(lenient.url, BeginTotpSetupDocument, {}, { token: a.token })).beginTotpSetup;
    dataOf(await graphql(lenient.url, ConfirmTotpSetupDocument, { code: await currentTotpCode(secret) }, { token: a.token }));

    expect(errorCodes(await graphql(lenient.url, DisableTotpDocument, { confirmation: { password: 'wrong password' } }, { token: a.token }))).toEqual(['INVALID_CONFIRMATION']);
    expect(errorCodes(await graphql(lenient.url, DisableTotpDocument, { confirmation: {} }, { token: a.token }))).toEqual(['BAD_USER_INPUT']);
    expect(dataOf(await graphql(lenient.url, DisableTotpDocument, { confirmation: { password: PASSWORD } }, { token: a.token })).disableTotp).toBe(true);
    expect(dataOf(await graphql(lenient.url, MeDocument, {}, { token: a.token })).me.twoFactorEnabled).toBe(false);
  });

  it('giving two answers at once is BAD_USER_INPUT', async () => {
    const { signIns } = await accountWithDevices(strict.url);
    const [a, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
    const response = await graphql(strict.url, RevokeSessionDocument, { id: b.session.id, confirmation: { password: PASSWORD, emailCode: '123456' } }, { token: a.token });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
  });

  it('wrong confirmations are RATE_LIMITED after ten, even with the right password', async () => {
    const { signIns } = await accountWithDevices(strict.url);
    const [a, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
    const codes: unknown[] = [];
    for (let i = 0; i < 10; i++) {
      codes.push(...errorCodes(await graphql(strict.url, RevokeSessionDocument, { id: b.session.id, confirmation: { password: `guess ${i}` } }, { token: a.token })));
    }
    expect(codes).toEqual(Array(10).fill('INVALID_CONFIRMATION'));
    const limited = await graphql(strict.url, RevokeSessionDocument, { id: b.session.id, confirmation: { password: PASSWORD } }, { token: a.token });
    expect(errorCodes(limited)).toEqual(['RATE_LIMITED']);
    expect(limited.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
  });
});
