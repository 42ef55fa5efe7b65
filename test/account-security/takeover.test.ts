import {
  AuditLogDocument,
  BeginTotpSetupDocument,
  ConfirmTotpSetupDocument,
  LoginDocument,
  MeDocument,
  RequestConfirmationCodeDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  RevokeOtherSessionsDocument,
  RevokeSessionDocument,
} from '../generated/graphql';
import { currentTotpCode } from '../../src/auth/two-factor/totp';
import { accountWithDevices, PASSWORD, type SignIn, isLive, loginCodes } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql } from '../support/client';
import { linkParam, sixDigitCode, clusterPerSuite, sql } from '../support/cluster';

const NEW_PASSWORD = 'the owner takes it back';

/**
 * The attack of the issue "Hold under attack and faults": a thief holding only a session token
 * (no password, no mailbox) turns two-factor on, confirms "sign out every other device" with the
 * new app, and the owner is locked out for good. None of those steps may work any more.
 */
describe('a stolen session token cannot take the account over', () => {
  const env = clusterPerSuite({ smtp: true });

  /** The owner on Chrome, and the session whose token the thief holds (Firefox). */
  async function ownerAndThief(): Promise<{ email: string; owner: SignIn; thief: SignIn }> {
    const { email, signIns } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows, DEVICES.firefoxOnMac]);
    return { email, owner: signIns[0]!, thief: signIns[1]! };
  }

  /** The session last proved who holds it an hour ago: outside the 5-minute step-up window. */
  // Behind the service's back, so the instances' cached rows (ADR 0004) are set back too.
  const confirmedLongAgo = async (sessionId: string) => {
    const [row] = await sql<{ confirmed_at: Date }>(env, `UPDATE sessions SET confirmed_at = now() - interval '1 hour' WHERE id = $1 RETURNING confirmed_at`, [sessionId]);
    for (const instance of env.instances) {
      const cached = instance.services.sessionCache.peek(sessionId);
      if (cached && row) cached.confirmedAt = row.confirmed_at;
    }
  };
  const enrolledAgo = (userId: string, interval: string) => sql(env, `UPDATE users SET totp_enabled_at = now() - $2::interval WHERE id = $1`, [userId, interval]);

  async function enrol(token: string): Promise<{ secret: string; recoveryCodes: string[] }> {
    const { secret } = dataOf(await graphql(env.url, BeginTotpSetupDocument, {}, { token })).beginTotpSetup;
    const recoveryCodes = dataOf(await graphql(env.url, ConfirmTotpSetupDocument, { code: await currentTotpCode(secret) }, { token })).confirmTotpSetup;
    return { secret, recoveryCodes };
  }

  const unusedRecoveryCodes = async (userId: string) =>
    Number((await sql<{ n: string }>(env, `SELECT count(*) AS n FROM one_time_tokens WHERE user_id = $1 AND purpose = 'RECOVERY_CODE' AND used_at IS NULL`, [userId]))[0]!.n);

  it('outside the step-up window, turning two-factor on needs the password or an emailed code, never a code of its own', async () => {
    const { email, owner, thief } = await ownerAndThief();
    await confirmedLongAgo(thief.session.id);

    const asked = await graphql(env.url, BeginTotpSetupDocument, {}, { token: thief.token });
    expect(errorCodes(asked)).toEqual(['STEP_UP_REQUIRED']);
    expect(asked.errors?.[0]?.extensions?.methods).toEqual(['PASSWORD', 'EMAIL_CODE']);
    expect(asked.errors?.[0]?.extensions?.warning).toMatch(/two-factor/);
    expect(errorCodes(await graphql(env.url, BeginTotpSetupDocument, { confirmation: { otp: '123456' } }, { token: thief.token }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await graphql(env.url, BeginTotpSetupDocument, { confirmation: { password: 'a guess at it' } }, { token: thief.token }))).toEqual(['INVALID_CONFIRMATION']);
    // Nothing was set up, not even a pending secret a later confirmTotpSetup could finish.
    const [row] = await sql<{ totp_secret: string | null; totp_pending_secret: string | null }>(env, 'SELECT totp_secret, totp_pending_secret FROM users WHERE id = $1', [
      owner.user.id,
    ]);
    expect(row).toEqual({ totp_secret: null, totp_pending_secret: null });
    expect(errorCodes(await graphql(env.url, ConfirmTotpSetupDocument, { code: '123456' }, { token: thief.token }))).toEqual(['BAD_USER_INPUT']);
    // Nor can the thief sign the owner out.
    expect(errorCodes(await graphql(env.url, RevokeOtherSessionsDocument, {}, { token: thief.token }))).toEqual(['STEP_UP_REQUIRED']);
    expect(await isLive(env.url, owner.token)).toBe(true);
    expect(await loginCodes(env.url, email, PASSWORD)).toEqual(['OK']);

    // Whoever holds the mailbox can: the emailed code goes to the owner's address.
    dataOf(await graphql(env.url, RequestConfirmationCodeDocument, {}, { token: thief.token }));
    const code = sixDigitCode(await env.smtp.next((m) => m.to === email && /confirmation code/i.test(m.subject)));
    const { secret } = dataOf(await graphql(env.url, BeginTotpSetupDocument, { confirmation: { emailCode: code } }, { token: thief.token })).beginTotpSetup;
    expect(dataOf(await graphql(env.url, ConfirmTotpSetupDocument, { code: await currentTotpCode(secret) }, { token: thief.token })).confirmTotpSetup).toHaveLength(10);
  });

  it('within the step-up window, or with the password, two-factor turns on as before', async () => {
    const { owner, thief } = await ownerAndThief();
    // Just signed in: inside the window.
    await enrol(owner.token);
    expect(dataOf(await graphql(env.url, MeDocument, {}, { token: owner.token })).me.twoFactorEnabled).toBe(true);

    const other = await ownerAndThief();
    await confirmedLongAgo(other.owner.session.id);
    const { secret } = dataOf(await graphql(env.url, BeginTotpSetupDocument, { confirmation: { password: PASSWORD } }, { token: other.owner.token })).beginTotpSetup;
    dataOf(await graphql(env.url, ConfirmTotpSetupDocument, { code: await currentTotpCode(secret) }, { token: other.owner.token }));
    expect(dataOf(await graphql(env.url, MeDocument, {}, { token: other.owner.token })).me.twoFactorEnabled).toBe(true);
    expect(await isLive(env.url, thief.token)).toBe(true);
  });

  it('a two-factor app set up less than 24 hours ago cannot confirm signing other devices out; a day later it can', async () => {
    const { owner, thief } = await ownerAndThief();
    const { secret, recoveryCodes } = await enrol(thief.token);
    await confirmedLongAgo(thief.session.id);

    for (const asked of [
      await graphql(env.url, RevokeOtherSessionsDocument, {}, { token: thief.token }),
      await graphql(env.url, RevokeSessionDocument, { id: owner.session.id }, { token: thief.token }),
    ]) {
      expect(errorCodes(asked)).toEqual(['STEP_UP_REQUIRED']);
      // The young app is not offered...
      expect(asked.errors?.[0]?.extensions?.methods).toEqual(['PASSWORD', 'EMAIL_CODE']);
    }
    // ...and refused when given anyway, TOTP code or recovery code, without spending it.
    const totp = await currentTotpCode(secret, new Date(Date.now() + 30_000));
    for (const otp of [totp, recoveryCodes[0]!]) {
      expect(errorCodes(await graphql(env.url, RevokeOtherSessionsDocument, { confirmation: { otp } }, { token: thief.token }))).toEqual(['INVALID_CONFIRMATION']);
      expect(errorCodes(await graphql(env.url, RevokeSessionDocument, { id: owner.session.id, confirmation: { otp } }, { token: thief.token }))).toEqual(['INVALID_CONFIRMATION']);
    }
    expect(await isLive(env.url, owner.token)).toBe(true);
    expect(await unusedRecoveryCodes(owner.user.id)).toBe(10);

    // A day later the app is established: offered, and it confirms.
    await enrolledAgo(owner.user.id, '25 hours');
    const asked = await graphql(env.url, RevokeOtherSessionsDocument, {}, { token: thief.token });
    expect(asked.errors?.[0]?.extensions?.methods).toEqual(['PASSWORD', 'TOTP', 'EMAIL_CODE']);
    expect(dataOf(await graphql(env.url, RevokeOtherSessionsDocument, { confirmation: { otp: recoveryCodes[0]! } }, { token: thief.token })).revokeOtherSessions.revokedCount).toBe(
      1,
    );
    expect(await isLive(env.url, owner.token)).toBe(false);
  });

  it('a password reset through the mailbox turns off two-factor set up in the last 7 days: the owner locked out gets back in', async () => {
    const { email, owner, thief } = await ownerAndThief();
    // The thief acts inside the window of a freshly stolen sign-in: enrols, then signs the owner out.
    const { recoveryCodes } = await enrol(thief.token);
    dataOf(await graphql(env.url, RevokeOtherSessionsDocument, {}, { token: thief.token }));
    expect(await isLive(env.url, owner.token)).toBe(false);
    expect(await loginCodes(env.url, email, PASSWORD)).toEqual(['TWO_FACTOR_REQUIRED']);

    // The owner resets the password from the mailbox.
    dataOf(await graphql(env.url, RequestPasswordResetDocument, { email }, { device: DEVICES.chromeOnWindows }));
    const resetMail = await env.smtp.next((m) => m.to === email && /reset/i.test(m.subject));
    expect(resetMail.text).toMatch(/turns off two-factor authentication if it was turned on in the last 7 days/);
    dataOf(
      await graphql(env.url, ResetPasswordDocument, { token: linkParam(resetMail, '/reset-password', 'token'), newPassword: NEW_PASSWORD }, { device: DEVICES.chromeOnWindows }),
    );

    expect(await isLive(env.url, thief.token)).toBe(false);
    const back = dataOf(await graphql(env.url, LoginDocument, { input: { email, password: NEW_PASSWORD } }, { device: DEVICES.chromeOnWindows })).login;
    expect(dataOf(await graphql(env.url, MeDocument, {}, { token: back.token })).me.twoFactorEnabled).toBe(false);
    const recent = dataOf(await graphql(env.url, AuditLogDocument, { first: 3 }, { token: back.token })).auditLog.edges.map((edge) => edge.node);
    expect(recent.map((e) => e.type).sort()).toEqual(['LOGIN', 'PASSWORD_RESET', 'TWO_FACTOR_DISABLED']);
    expect(recent.find((e) => e.type === 'TWO_FACTOR_DISABLED')).toMatchObject({ actorSessionId: null, deviceLabel: 'Chrome on Windows' });
    // The thief's recovery codes died with the app.
    expect(await unusedRecoveryCodes(owner.user.id)).toBe(0);
    expect(await loginCodes(env.url, email, NEW_PASSWORD, recoveryCodes[1])).toEqual(['OK']);
    const notice = await env.smtp.next((m) => m.to === email && /turned off by a password reset/.test(m.subject));
    expect(notice.text).toContain('Chrome on Windows');
  });

  it('a password reset keeps two-factor that was set up more than 7 days ago', async () => {
    const { email, owner } = await ownerAndThief();
    await enrol(owner.token);
    await enrolledAgo(owner.user.id, '8 days');
    dataOf(await graphql(env.url, RequestPasswordResetDocument, { email }));
    const resetMail = await env.smtp.next((m) => m.to === email && /reset/i.test(m.subject));
    dataOf(await graphql(env.url, ResetPasswordDocument, { token: linkParam(resetMail, '/reset-password', 'token'), newPassword: NEW_PASSWORD }));
    expect(await loginCodes(env.url, email, NEW_PASSWORD)).toEqual(['TWO_FACTOR_REQUIRED']);
    expect(await unusedRecoveryCodes(owner.user.id)).toBe(10);
  });
});
