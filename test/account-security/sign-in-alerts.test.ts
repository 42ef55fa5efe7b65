import { randomBytes } from 'node:crypto';
import {
  ChangePasswordDocument,
  LoginDocument,
  LogoutDocument,
  RegisterDocument,
  ReportUnrecognizedSessionDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  SessionsDocument,
} from '../generated/graphql';
import { accountWithDevices, PASSWORD, uniqueEmail, verifyAddress, type SignIn, isLive } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql, type TestDevice, graphqlErrors } from '../support/client';
import { linkParam, clusterPerSuite, PUBLIC_URL, sql, type WatchedSession } from '../support/cluster';
import type { ReceivedMail } from '../support/smtp';
import { quietPeriod } from '../support/deferred';

const GB_IP = '81.2.69.142';
const US_IP = '8.8.8.8';
const DE_IP = '5.9.0.1';

describe('new sign-in alerts and "this wasn\'t me"', () => {
  // Behind a load balancer on loopback, so a test can sign in "from" a public address.
  const env = clusterPerSuite({ smtp: true, env: { TRUST_PROXY: 'loopback' } });

  async function login(email: string, device: TestDevice, forwardedFor?: string) {
    const headers = forwardedFor ? { 'x-forwarded-for': forwardedFor } : undefined;
    return dataOf(await graphql(env.url, LoginDocument, { input: { email, password: PASSWORD } }, { device, headers })).login;
  }

  const isAlert = (email: string) => (mail: ReceivedMail) => mail.to === email && /new sign-in/i.test(mail.subject);

  function alertFor(email: string, deviceLabel: string): Promise<ReceivedMail> {
    return env.smtp.next((mail) => isAlert(email)(mail) && mail.text.includes(deviceLabel));
  }

  describe('alerts', () => {
    it('none for the registration sign-in nor for another sign-in from a device label already seen', async () => {
      const email = uniqueEmail();
      const registered = dataOf(await graphql(env.url, RegisterDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.chromeOnWindows })).register;
      expect(registered.session.flags).toEqual([]);
      await verifyAddress(env.url, email);
      // The same kind of device from another address on the same network: familiar.
      const sameKind = await login(email, { ...DEVICES.chromeOnWindows, ip: '127.0.0.9' });
      expect(sameKind.session.flags).toEqual([]);

      await expect(env.smtp.next(isAlert(email), 500)).rejects.toThrow(/no matching email/);
      // A new device afterwards gets its alert: the silence above was not a broken mailer.
      await login(email, DEVICES.safariOnIphone);
      await alertFor(email, 'Safari on iOS');
      expect(env.smtp.messages.filter(isAlert(email))).toHaveLength(1);
    });

    it('one for a new device, showing the device, IP and time, with exactly one link, to PUBLIC_URL', async () => {
      const { email } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows]);
      const b = await login(email, DEVICES.firefoxOnMac);
      expect(b.session.flags).toEqual(['NEW_DEVICE']);
      const mail = await alertFor(email, 'Firefox on macOS');

      const at = new Date(b.session.createdAt);
      expect(mail.text).toContain(DEVICES.firefoxOnMac.ip);
      expect(mail.text).toContain(`${at.getUTCFullYear()} at ${at.toISOString().slice(11, 16)} UTC`);
      expect(mail.text).toContain(email);

      const textLinks = [...mail.text.matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]);
      expect(textLinks).toHaveLength(1);
      expect(textLinks[0]!.startsWith(`${PUBLIC_URL}/`)).toBe(true);
      const hrefs = [...mail.html.matchAll(/href\s*=\s*"([^"]*)"/gi)].map((m) => m[1]!.replace(/&#38;/g, '&'));
      expect(hrefs).toEqual([textLinks[0]]);
      const htmlUrls = [...mail.html.matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]);
      for (const link of htmlUrls) expect(link.startsWith(`${PUBLIC_URL}/`)).toBe(true);
      expect(mail.html).not.toMatch(/<img|<script|src\s*=/i);
    });
  });

  it('the link of an alert lives 24 hours', async () => {
    const { email, signIns } = await accountWithDevices(env.url);
    await alertFor(email, 'Safari on iOS');
    const rows = await sql<{ seconds: string }>(
      env,
      `SELECT extract(epoch FROM expires_at - created_at) AS seconds FROM one_time_tokens WHERE user_id = $1 AND purpose = 'UNRECOGNIZED_SIGN_IN'`,
      [signIns[0]!.user.id],
    );
    expect(rows.map((row) => Number(row.seconds))).toEqual([24 * 3600]);
  });

  it('flags a session NEW_DEVICE for a new device label, NEW_LOCATION for a first sign-in from a country, and nothing when familiar', async () => {
    const email = uniqueEmail();
    const registered = dataOf(
      await graphql(env.url, RegisterDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.chromeOnWindows, headers: { 'x-forwarded-for': GB_IP } }),
    ).register;
    expect(registered.session).toMatchObject({ flags: [], location: { countryCode: 'GB' } });
    await verifyAddress(env.url, email);

    const familiar = await login(email, DEVICES.chromeOnWindows, GB_IP);
    const newCountry = await login(email, DEVICES.chromeOnWindows, US_IP);
    const usAgain = await login(email, DEVICES.chromeOnWindows, US_IP);
    const newDevice = await login(email, DEVICES.safariOnIphone, GB_IP);
    const both = await login(email, DEVICES.chromeOnPixel, DE_IP);
    const unknownPlace = await login(email, DEVICES.chromeOnWindows);

    expect(familiar.session.flags).toEqual([]);
    expect(newCountry.session).toMatchObject({ flags: ['NEW_LOCATION'], location: { countryCode: 'US' } });
    expect(usAgain.session.flags).toEqual([]);
    expect(newDevice.session.flags).toEqual(['NEW_DEVICE']);
    expect([...both.session.flags].sort()).toEqual(['NEW_DEVICE', 'NEW_LOCATION']);
    // A private address has no country: never a new location.
    expect(unknownPlace.session.flags).toEqual([]);

    // The flags are kept with the session, as the device list shows them.
    const listed = dataOf(await graphql(env.url, SessionsDocument, {}, { token: registered.token })).sessions;
    const flagsOf = (id: string) => listed.find((s) => s.id === id)?.flags;
    expect(flagsOf(newCountry.session.id)).toEqual(['NEW_LOCATION']);
    expect(flagsOf(newDevice.session.id)).toEqual(['NEW_DEVICE']);
    expect(flagsOf(familiar.session.id)).toEqual([]);

    // A sign-in from a new country alone is alerted too, with the place.
    const usAlert = await env.smtp.next((mail) => isAlert(email)(mail) && mail.text.includes(US_IP));
    expect(usAlert.text).toContain('United States');
  });

  describe('reportUnrecognizedSession', () => {
    it('ends exactly the reported session, tells it why, closes its socket, and returns a working reset token', async () => {
      const { email, signIns } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows, DEVICES.safariOnIphone, DEVICES.chromeOnPixel]);
      const [a, b, c] = signIns as [SignIn, SignIn, SignIn];
      const reportB = linkParam(await alertFor(email, 'Safari on iOS'), '/report-sign-in', 'token');
      await alertFor(email, 'Chrome on Android');

      const [aWatch, bWatch, cWatch] = (await env.watchEndings(signIns)) as [WatchedSession, WatchedSession, WatchedSession];

      // Sent from whatever browser opened the email link, with no bearer token.
      const resetToken = dataOf(await graphql(env.url, ReportUnrecognizedSessionDocument, { token: reportB }, { device: DEVICES.firefoxOnMac })).reportUnrecognizedSession;

      expect((await bWatch.events.next()).sessionTerminated).toMatchObject({ sessionId: b.session.id, reason: 'REPORTED_UNRECOGNIZED', terminatedBy: null });
      expect(await bWatch.socket.waitForClose()).toEqual({ code: 4401, reason: 'Session terminated' });
      expect(graphqlErrors(bWatch.events.errors)).toEqual([]);
      expect(await isLive(env.url, b.token)).toBe(false);

      expect(await isLive(env.url, a.token)).toBe(true);
      expect(await isLive(env.url, c.token)).toBe(true);
      await quietPeriod();
      for (const other of [aWatch, cWatch]) {
        expect(other.events.pending).toBe(0);
        expect(other.socket.closedAt).toBeUndefined();
      }
      const rows = await sql<{ id: string; revoke_reason: string | null; revoked_by_session_id: string | null }>(
        env,
        'SELECT id, revoke_reason, revoked_by_session_id FROM sessions WHERE user_id = $1 AND revoked_at IS NOT NULL',
        [a.user.id],
      );
      expect(rows).toEqual([{ id: b.session.id, revoke_reason: 'REPORTED_UNRECOGNIZED', revoked_by_session_id: null }]);

      // The handed-over token sets a new password at once.
      const newPassword = 'not the intruder password';
      expect(dataOf(await graphql(env.url, ResetPasswordDocument, { token: resetToken, newPassword })).resetPassword).toBe(true);
      expect(dataOf(await graphql(env.url, LoginDocument, { input: { email, password: newPassword } })).login.user.email).toBe(email);
      expect(errorCodes(await graphql(env.url, LoginDocument, { input: { email, password: PASSWORD } }))).toEqual(['INVALID_CREDENTIALS']);
    });

    describe('with a bad link token is BAD_USER_INPUT and changes nothing', () => {
      /** What a report could change: live sessions, audit events, issued reset tokens. */
      async function stateOf(userId: string) {
        const [live, audit, resets] = await Promise.all([
          sql(env, 'SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id', [userId]),
          sql(env, 'SELECT count(*) AS n FROM audit_events WHERE user_id = $1', [userId]),
          sql(env, `SELECT id, used_at FROM one_time_tokens WHERE user_id = $1 AND purpose = 'PASSWORD_RESET' ORDER BY id`, [userId]),
        ]);
        return { live, audit, resets };
      }

      async function accountWithReportLink() {
        const { email, signIns } = await accountWithDevices(env.url);
        const reportToken = linkParam(await alertFor(email, 'Safari on iOS'), '/report-sign-in', 'token');
        return { email, a: signIns[0]!, b: signIns[1]!, reportToken };
      }

      it('a link already used', async () => {
        const { a, reportToken } = await accountWithReportLink();
        dataOf(await graphql(env.url, ReportUnrecognizedSessionDocument, { token: reportToken }));
        const before = await stateOf(a.user.id);

        expect(errorCodes(await graphql(env.url, ReportUnrecognizedSessionDocument, { token: reportToken }))).toEqual(['BAD_USER_INPUT']);
        expect(await stateOf(a.user.id)).toEqual(before);
      });

      it('a forged link, a near miss of a real one, or a password reset token in its place', async () => {
        const { email, a, b, reportToken } = await accountWithReportLink();
        dataOf(await graphql(env.url, RequestPasswordResetDocument, { email }));
        const resetMail = await env.smtp.next((mail) => mail.to === email && /reset/i.test(mail.subject));
        const resetToken = linkParam(resetMail, '/reset-password', 'token');
        const before = await stateOf(a.user.id);
        const lastChar = reportToken.at(-1) === 'A' ? 'B' : 'A';

        for (const token of [`sou_${randomBytes(32).toString('base64url')}`, `${reportToken.slice(0, -1)}${lastChar}`, resetToken, 'it-was-not-me']) {
          expect({ token, codes: errorCodes(await graphql(env.url, ReportUnrecognizedSessionDocument, { token })) }).toEqual({ token, codes: ['BAD_USER_INPUT'] });
        }
        expect(await stateOf(a.user.id)).toEqual(before);
        expect(await isLive(env.url, b.token)).toBe(true);
        // None of those spent the real link.
        dataOf(await graphql(env.url, ReportUnrecognizedSessionDocument, { token: reportToken }));
        expect(await isLive(env.url, b.token)).toBe(false);
      });

      it('a link whose session has already ended', async () => {
        const { a, b, reportToken } = await accountWithReportLink();
        dataOf(await graphql(env.url, LogoutDocument, {}, { token: b.token }));
        const before = await stateOf(a.user.id);

        expect(errorCodes(await graphql(env.url, ReportUnrecognizedSessionDocument, { token: reportToken }))).toEqual(['BAD_USER_INPUT']);
        // No reset token was handed over for a session that no longer exists.
        expect(await stateOf(a.user.id)).toEqual(before);
      });

      it('a link sent before the password changed, even with that session still signed in', async () => {
        const { a, b, reportToken } = await accountWithReportLink();
        dataOf(
          await graphql(env.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: 'changed since the alert', signOutOtherSessions: false }, { token: a.token }),
        );
        const before = await stateOf(a.user.id);

        expect(errorCodes(await graphql(env.url, ReportUnrecognizedSessionDocument, { token: reportToken }))).toEqual(['BAD_USER_INPUT']);
        expect(await stateOf(a.user.id)).toEqual(before);
        expect(await isLive(env.url, b.token)).toBe(true);
      });

      it('an expired link', async () => {
        const { a, b, reportToken } = await accountWithReportLink();
        const expired = await sql(
          env,
          `UPDATE one_time_tokens SET expires_at = now() - interval '1 second'
           WHERE user_id = $1 AND purpose = 'UNRECOGNIZED_SIGN_IN' AND session_id = $2 AND used_at IS NULL RETURNING id`,
          [a.user.id, b.session.id],
        );
        expect(expired).toHaveLength(1);
        const before = await stateOf(a.user.id);

        expect(errorCodes(await graphql(env.url, ReportUnrecognizedSessionDocument, { token: reportToken }))).toEqual(['BAD_USER_INPUT']);
        expect(await stateOf(a.user.id)).toEqual(before);
        expect(await isLive(env.url, b.token)).toBe(true);
      });
    });
  });
});
