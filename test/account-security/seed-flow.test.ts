import {
  AuditLogDocument,
  BeginTotpSetupDocument,
  ChangePasswordDocument,
  ConfirmTotpSetupDocument,
  LoginDocument,
  MeDocument,
  OnSessionTerminatedDocument,
  ReportUnrecognizedSessionDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  RevokeSessionDocument,
  SessionsDocument,
} from '../generated/graphql';
import { currentTotpCode } from '../../src/auth/two-factor/totp';
import { accountWithDevices, PASSWORD } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql } from '../support/client';
import { linkParam, clusterPerSuite } from '../support/cluster';

/**
 * The whole story of the product, as one person lives it: review devices, confirm, sign one out,
 * change the password, reset it, turn on two-factor, and report a sign-in that wasn't them.
 */
describe('seed flow: review, confirm, terminate, change password, reset, two-factor, "this wasn\'t me"', () => {
  // A zero window: every sensitive action needs its confirmation, as if the sign-in were long ago.
  const env = clusterPerSuite({ smtp: true, env: { STEP_UP_WINDOW_SECONDS: '0' } });

  it('every step has the effect its owner expects, from the first sign-in to the last', async () => {
    const { url, smtp } = env;
    const { email, signIns } = await accountWithDevices(url);
    const [a, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
    const alertForB = await smtp.next((m) => m.to === email && /new sign-in/i.test(m.subject));
    expect(alertForB.text).toContain('Safari on iOS');

    // 1. A asks to sign B out: a confirmation is needed, and the answer says which ones work.
    const bSocket = await env.connect(b.token, b.device);
    const bEvents = bSocket.subscribe(OnSessionTerminatedDocument);
    await env.waitForSubscribers(1);
    const unconfirmed = await graphql(url, RevokeSessionDocument, { id: b.session.id }, { token: a.token, device: a.device });
    expect(errorCodes(unconfirmed)).toEqual(['STEP_UP_REQUIRED']);
    expect(unconfirmed.errors?.[0]?.extensions).toMatchObject({
      methods: ['PASSWORD', 'EMAIL_CODE'],
      warning: expect.stringMatching(/signs the selected device out/),
    });

    // 2. A wrong password is refused and B stays signed in.
    const wrong = await graphql(url, RevokeSessionDocument, { id: b.session.id, confirmation: { password: 'not my password' } }, { token: a.token });
    expect(errorCodes(wrong)).toEqual(['INVALID_CONFIRMATION']);
    expect(dataOf(await graphql(url, MeDocument, {}, { token: b.token })).me.email).toBe(email);

    // 3. The right password signs B out; B is told by whom, and its socket closes.
    const revoked = dataOf(await graphql(url, RevokeSessionDocument, { id: b.session.id, confirmation: { password: PASSWORD } }, { token: a.token, device: a.device }));
    expect(revoked.revokeSession.revokedSessionIds).toEqual([b.session.id]);
    expect((await bEvents.next()).sessionTerminated).toMatchObject({ reason: 'REVOKED', terminatedBy: { id: a.session.id, device: { label: 'Chrome on Windows' } } });
    expect((await bSocket.waitForClose()).code).toBe(4401);

    // 4. The audit log tells what happened, newest first.
    const log = dataOf(await graphql(url, AuditLogDocument, { first: 10 }, { token: a.token })).auditLog.edges.map((e) => e.node);
    expect(log.map((e) => e.type)).toEqual(['SESSION_REVOKED', 'CONFIRMATION_FAILED', 'LOGIN', 'LOGIN']);
    expect(log[0]).toMatchObject({ actorSessionId: a.session.id, targetSessionIds: [b.session.id], deviceLabel: 'Chrome on Windows', ipAddress: '127.0.0.2' });

    // 5. Changing the password signs every other device out.
    const c = dataOf(await graphql(url, LoginDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.chromeOnPixel })).login;
    const cSocket = await env.connect(c.token, DEVICES.chromeOnPixel);
    const cEvents = cSocket.subscribe(OnSessionTerminatedDocument);
    await env.waitForSubscribers(1);
    const newPassword = 'a brand new passphrase';
    dataOf(await graphql(url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword }, { token: a.token, device: a.device }));
    expect((await cEvents.next()).sessionTerminated).toMatchObject({ reason: 'PASSWORD_CHANGED', terminatedBy: { id: a.session.id } });
    expect((await cSocket.waitForClose()).code).toBe(4401);
    expect(dataOf(await graphql(url, SessionsDocument, {}, { token: a.token })).sessions.map((s) => s.id)).toEqual([a.session.id]);
    expect(errorCodes(await graphql(url, LoginDocument, { input: { email, password: PASSWORD } }))).toEqual(['INVALID_CREDENTIALS']);

    // 6. A reset signs out every device, A included.
    const aSocket = await env.connect(a.token, a.device);
    const aEvents = aSocket.subscribe(OnSessionTerminatedDocument);
    await env.waitForSubscribers(1);
    expect(dataOf(await graphql(url, RequestPasswordResetDocument, { email })).requestPasswordReset).toBe(true);
    const resetMail = await smtp.next((m) => m.to === email && /reset/i.test(m.subject));
    const resetToken = linkParam(resetMail, '/reset-password', 'token');
    const resetPassword = 'reset passphrase 2026';
    expect(dataOf(await graphql(url, ResetPasswordDocument, { token: resetToken, newPassword: resetPassword })).resetPassword).toBe(true);
    expect((await aEvents.next()).sessionTerminated).toMatchObject({ reason: 'PASSWORD_RESET', terminatedBy: null });
    expect((await aSocket.waitForClose()).code).toBe(4401);
    expect(errorCodes(await graphql(url, ResetPasswordDocument, { token: resetToken, newPassword: 'yet another passphrase' }))).toEqual(['BAD_USER_INPUT']);

    // 7. Two-factor on: the password alone no longer signs in; a TOTP code does, once; a recovery code does, once.
    const d = dataOf(await graphql(url, LoginDocument, { input: { email, password: resetPassword } }, { device: a.device })).login;
    const { secret } = dataOf(await graphql(url, BeginTotpSetupDocument, { confirmation: { password: resetPassword } }, { token: d.token })).beginTotpSetup;
    const recoveryCodes = dataOf(await graphql(url, ConfirmTotpSetupDocument, { code: await currentTotpCode(secret) }, { token: d.token })).confirmTotpSetup;
    expect(recoveryCodes).toHaveLength(10);
    expect(dataOf(await graphql(url, MeDocument, {}, { token: d.token })).me.twoFactorEnabled).toBe(true);
    expect(errorCodes(await graphql(url, LoginDocument, { input: { email, password: resetPassword } }))).toEqual(['TWO_FACTOR_REQUIRED']);
    const withRecovery = await graphql(url, LoginDocument, { input: { email, password: resetPassword, otp: recoveryCodes[0]! } });
    expect(dataOf(withRecovery).login.user.email).toBe(email);
    expect(errorCodes(await graphql(url, LoginDocument, { input: { email, password: resetPassword, otp: recoveryCodes[0]! } }))).toEqual(['INVALID_CREDENTIALS']);

    // 8. "This wasn't me": the alert's link ends exactly that sign-in and hands over a reset token.
    const intruder = dataOf(await graphql(url, LoginDocument, { input: { email, password: resetPassword, otp: recoveryCodes[1]! } }, { device: DEVICES.firefoxOnMac })).login;
    const alert = await smtp.next((m) => m.to === email && /new sign-in/i.test(m.subject) && m.text.includes('Firefox on macOS'));
    const reportToken = linkParam(alert, '/report-sign-in', 'token');
    const handedReset = dataOf(await graphql(url, ReportUnrecognizedSessionDocument, { token: reportToken })).reportUnrecognizedSession;
    expect(errorCodes(await graphql(url, MeDocument, {}, { token: intruder.token }))).toEqual(['UNAUTHENTICATED']);
    expect(dataOf(await graphql(url, MeDocument, {}, { token: d.token })).me.email).toBe(email);
    expect(errorCodes(await graphql(url, ReportUnrecognizedSessionDocument, { token: reportToken }))).toEqual(['BAD_USER_INPUT']);
    expect(dataOf(await graphql(url, ResetPasswordDocument, { token: handedReset, newPassword: 'after the intrusion 1' })).resetPassword).toBe(true);
  });
});
