import { randomUUID } from 'node:crypto';
import {
  AuditLogDocument,
  BeginTotpSetupDocument,
  ChangePasswordDocument,
  ConfirmTotpSetupDocument,
  DisableTotpDocument,
  LoginDocument,
  LogoutDocument,
  ReportUnrecognizedSessionDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  RevokeOtherSessionsDocument,
  RevokeSessionDocument,
  type AuditLogQuery,
} from '../generated/graphql';
import { currentTotpCode } from '../../src/auth/two-factor/totp';
import { accountWithDevices, PASSWORD, uniqueEmail } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql, type TestDevice } from '../support/client';
import { linkParam, clusterPerSuite, sql } from '../support/cluster';
import { until } from '../support/deferred';

type AuditNode = AuditLogQuery['auditLog']['edges'][number]['node'];

const GB_IP = '81.2.69.142';

/**
 * The account's security history: a Relay connection, newest first, the account's own events only,
 * one event for every way a session ends, and rows the database itself refuses to rewrite.
 */
describe('the audit log', () => {
  // A load balancer on loopback forwards the client address; the sweeper only runs when a test asks.
  const env = clusterPerSuite({ smtp: true, env: { TRUST_PROXY: 'loopback', STEP_UP_WINDOW_SECONDS: '0', EXPIRY_SWEEP_SECONDS: '3600' } });

  async function page(token: string, first?: number, after?: string | null) {
    return dataOf(await graphql(env.url, AuditLogDocument, { first, after }, { token })).auditLog;
  }

  async function events(token: string): Promise<AuditNode[]> {
    return (await page(token, 100)).edges.map((edge) => edge.node);
  }

  async function login(email: string, device: TestDevice, password = PASSWORD, headers?: Record<string, string>) {
    return dataOf(await graphql(env.url, LoginDocument, { input: { email, password } }, { device, headers })).login;
  }

  describe('pagination', () => {
    it('walks every event newest first, page by page, with no event repeated or skipped', async () => {
      const { email, signIns } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows]);
      const a = signIns[0]!;
      // Events in a known order: the registration, 4 sign-ins, 3 failed sign-ins, 2 logouts.
      const expectedOldestFirst = ['LOGIN'];
      const devices = [DEVICES.safariOnIphone, DEVICES.chromeOnPixel, DEVICES.firefoxOnMac, DEVICES.safariOnIphone];
      const logins = [];
      for (const device of devices) {
        logins.push(await login(email, device));
        expectedOldestFirst.push('LOGIN');
      }
      for (let i = 0; i < 3; i++) {
        expect(errorCodes(await graphql(env.url, LoginDocument, { input: { email, password: `wrong ${i}` } }))).toEqual(['INVALID_CREDENTIALS']);
        expectedOldestFirst.push('LOGIN_FAILED');
      }
      for (const signIn of logins.slice(0, 2)) {
        dataOf(await graphql(env.url, LogoutDocument, {}, { token: signIn.token }));
        expectedOldestFirst.push('LOGOUT');
      }
      // Ten events: pages of 3 end on a partial page, pages of 5 on an exactly full one.
      expect(expectedOldestFirst).toHaveLength(10);

      const all = await events(a.token);
      expect(all.map((e) => e.type)).toEqual([...expectedOldestFirst].reverse());
      const times = all.map((e) => Date.parse(e.at));
      expect(times).toEqual([...times].sort((x, y) => y - x));

      for (const size of [3, 5]) {
        const walked: string[] = [];
        let after: string | null = null;
        const hasNext: boolean[] = [];
        for (let pageNo = 0; pageNo < 10; pageNo++) {
          const current: Awaited<ReturnType<typeof page>> = await page(a.token, size, after);
          expect(current.edges.length).toBeLessThanOrEqual(size);
          walked.push(...current.edges.map((edge) => edge.node.id));
          hasNext.push(current.pageInfo.hasNextPage);
          expect(current.pageInfo.endCursor).toBe(current.edges.at(-1)?.cursor ?? null);
          if (!current.pageInfo.hasNextPage) break;
          after = current.pageInfo.endCursor;
        }
        expect(walked).toEqual(all.map((e) => e.id));
        expect(hasNext).toEqual(size === 3 ? [true, true, true, false] : [true, false]);
      }

      // Past the last event: an empty page that says so.
      const last = await page(a.token, 5, (await page(a.token, 10)).pageInfo.endCursor);
      expect(last).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    });

    it('neither repeats nor skips events recorded in the same millisecond', async () => {
      const { signIns } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows]);
      const a = signIns[0]!;
      // Concurrent requests can record events in the same millisecond; arrange five such rows.
      const at = new Date(Date.now() + 60_000);
      const ids = Array.from({ length: 5 }, () => randomUUID());
      for (const id of ids) {
        await sql(
          env,
          `INSERT INTO audit_events (id, user_id, type, at, actor_session_id, ip_address, device_label, target_session_ids)
           VALUES ($1, $2, 'LOGIN', $3, NULL, '127.0.0.2', 'Chrome on Windows', '')`,
          [id, a.user.id, at],
        );
      }
      const walked: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 6; i++) {
        const current: Awaited<ReturnType<typeof page>> = await page(a.token, 2, after);
        walked.push(...current.edges.map((edge) => edge.node.id));
        if (!current.pageInfo.hasNextPage) break;
        after = current.pageInfo.endCursor;
      }
      expect(walked).toHaveLength(6);
      expect(new Set(walked).size).toBe(6);
      expect(walked.slice(0, 5).sort()).toEqual([...ids].sort());
    });

    it.each([0, -1, 101])('refuses first = %i with BAD_USER_INPUT', async (first) => {
      const { signIns } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows]);
      const response = await graphql(env.url, AuditLogDocument, { first }, { token: signIns[0]!.token });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.data).toBeNull();
    });

    it('accepts first = 1 and first = 100, the ends of the allowed range', async () => {
      const { signIns } = await accountWithDevices(env.url);
      const token = signIns[0]!.token;
      expect((await page(token, 1)).edges).toHaveLength(1);
      expect((await page(token, 100)).edges).toHaveLength(2);
    });

    it('refuses a garbage, truncated or forged after cursor with BAD_USER_INPUT', async () => {
      const { signIns } = await accountWithDevices(env.url);
      const token = signIns[0]!.token;
      const real = (await page(token, 1)).pageInfo.endCursor!;
      const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
      const bad = [
        'garbage',
        real.slice(0, real.length - 6),
        `${real}x`,
        b64('not a date|also not an id'),
        b64(`${new Date().toISOString()}|${randomUUID()}|extra`),
        b64(`${new Date().toISOString()}|' OR 1=1 --`),
        b64(`yesterday|${randomUUID()}`),
      ];
      for (const after of bad) {
        const response = await graphql(env.url, AuditLogDocument, { first: 5, after }, { token });
        expect({ after, codes: errorCodes(response) }).toEqual({ after, codes: ['BAD_USER_INPUT'] });
      }
    });
  });

  it('shows an account only its own events, whatever cursor it passes', async () => {
    const first = await accountWithDevices(env.url);
    const second = await accountWithDevices(env.url, [DEVICES.firefoxOnMac]);
    const a = first.signIns[0]!;
    const other = second.signIns[0]!;
    // Activity on the first account that must not show up in the second's history, and vice versa.
    expect(errorCodes(await graphql(env.url, LoginDocument, { input: { email: first.email, password: 'wrong password' } }))).toEqual(['INVALID_CREDENTIALS']);
    expect(errorCodes(await graphql(env.url, LoginDocument, { input: { email: second.email, password: 'wrong password' } }))).toEqual(['INVALID_CREDENTIALS']);

    const mine = await events(a.token);
    const theirs = await events(other.token);
    expect(mine.map((e) => e.type)).toEqual(['LOGIN_FAILED', 'LOGIN', 'LOGIN']);
    expect(theirs.map((e) => e.type)).toEqual(['LOGIN_FAILED', 'LOGIN']);
    expect(theirs.map((e) => e.id).filter((id) => mine.some((e) => e.id === id))).toEqual([]);
    const firstSessionIds = first.signIns.map((s) => s.session.id);
    for (const event of theirs) {
      expect(firstSessionIds).not.toContain(event.actorSessionId);
      for (const target of event.targetSessionIds) expect(firstSessionIds).not.toContain(target);
    }
    const rows = await sql<{ n: string }>(env, 'SELECT count(*) AS n FROM audit_events WHERE user_id = $1', [other.user.id]);
    expect(Number(rows[0]!.n)).toBe(theirs.length);

    // The first account's cursor positions the second account's list; it never reveals the first account's events.
    const foreignCursor = (await page(a.token, 1)).pageInfo.endCursor;
    const viaForeignCursor = await page(other.token, 100, foreignCursor);
    for (const edge of viaForeignCursor.edges) expect(theirs.map((e) => e.id)).toContain(edge.node.id);
  });

  it('records a wrong password for an existing account as LOGIN_FAILED, from no session, with the IP and device', async () => {
    const { email, signIns } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows]);
    const a = signIns[0]!;
    const failed = await graphql(env.url, LoginDocument, { input: { email, password: 'not the password' } }, { device: DEVICES.firefoxOnMac });
    expect(errorCodes(failed)).toEqual(['INVALID_CREDENTIALS']);

    const [latest] = await events(a.token);
    expect(latest).toMatchObject({
      type: 'LOGIN_FAILED',
      actorSessionId: null,
      ipAddress: DEVICES.firefoxOnMac.ip,
      deviceLabel: 'Firefox on macOS',
      targetSessionIds: [],
      location: { countryCode: null },
    });
  });

  it('records nothing for a sign-in attempt on an email that has no account', async () => {
    const count = async () => Number((await sql<{ n: string }>(env, 'SELECT count(*) AS n FROM audit_events'))[0]!.n);
    const before = await count();
    expect(errorCodes(await graphql(env.url, LoginDocument, { input: { email: uniqueEmail('nobody'), password: PASSWORD } }))).toEqual(['INVALID_CREDENTIALS']);
    expect(await count()).toBe(before);
  });

  describe('every way a session ends writes its event', () => {
    it('a logout: LOGOUT by the session itself', async () => {
      const { signIns } = await accountWithDevices(env.url);
      const [a, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
      dataOf(await graphql(env.url, LogoutDocument, {}, { token: b.token, device: b.device }));
      const [latest] = await events(a.token);
      expect(latest).toMatchObject({
        type: 'LOGOUT',
        actorSessionId: b.session.id,
        targetSessionIds: [b.session.id],
        ipAddress: b.device.ip,
        deviceLabel: 'Safari on iOS',
      });
    });

    it('a revoke: SESSION_REVOKED by the revoking session, naming the revoked one', async () => {
      const { signIns } = await accountWithDevices(env.url);
      const [a, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
      dataOf(await graphql(env.url, RevokeSessionDocument, { id: b.session.id, confirmation: { password: PASSWORD } }, { token: a.token, device: a.device }));
      const [latest] = await events(a.token);
      expect(latest).toMatchObject({ type: 'SESSION_REVOKED', actorSessionId: a.session.id, targetSessionIds: [b.session.id], ipAddress: a.device.ip });
    });

    it('signing out everywhere else: one OTHER_SESSIONS_REVOKED naming every session it ended', async () => {
      const { signIns } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows, DEVICES.safariOnIphone, DEVICES.chromeOnPixel, DEVICES.firefoxOnMac]);
      const [a, ...others] = signIns;
      const result = dataOf(await graphql(env.url, RevokeOtherSessionsDocument, { confirmation: { password: PASSWORD } }, { token: a!.token, device: a!.device }));
      expect(result.revokeOtherSessions.revokedCount).toBe(3);

      const log = await events(a!.token);
      expect(log.filter((e) => e.type === 'OTHER_SESSIONS_REVOKED')).toHaveLength(1);
      expect(log[0]).toMatchObject({ type: 'OTHER_SESSIONS_REVOKED', actorSessionId: a!.session.id, deviceLabel: 'Chrome on Windows' });
      expect([...log[0]!.targetSessionIds].sort()).toEqual(others.map((s) => s.session.id).sort());
    });

    it('a password change: PASSWORD_CHANGED by the changing session, naming the sessions it ended', async () => {
      const { signIns } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows, DEVICES.safariOnIphone, DEVICES.chromeOnPixel]);
      const [a, ...others] = signIns;
      dataOf(await graphql(env.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: 'a changed passphrase' }, { token: a!.token, device: a!.device }));
      const [latest] = await events(a!.token);
      expect(latest).toMatchObject({ type: 'PASSWORD_CHANGED', actorSessionId: a!.session.id, ipAddress: a!.device.ip });
      expect([...latest!.targetSessionIds].sort()).toEqual(others.map((s) => s.session.id).sort());
    });

    it('a password reset: PASSWORD_RESET from no session, naming every session, from the device that reset', async () => {
      const { email, signIns } = await accountWithDevices(env.url);
      dataOf(await graphql(env.url, RequestPasswordResetDocument, { email }));
      const mail = await env.smtp.next((m) => m.to === email && /reset/i.test(m.subject));
      const newPassword = 'reset passphrase for audit';
      dataOf(await graphql(env.url, ResetPasswordDocument, { token: linkParam(mail, '/reset-password', 'token'), newPassword }, { device: DEVICES.firefoxOnMac }));

      const fresh = await login(email, DEVICES.chromeOnWindows, newPassword);
      const [newest, reset] = await events(fresh.token);
      expect(newest).toMatchObject({ type: 'LOGIN', actorSessionId: fresh.session.id });
      expect(reset).toMatchObject({ type: 'PASSWORD_RESET', actorSessionId: null, ipAddress: DEVICES.firefoxOnMac.ip, deviceLabel: 'Firefox on macOS' });
      expect([...reset!.targetSessionIds].sort()).toEqual(signIns.map((s) => s.session.id).sort());
    });

    it('turning two-factor on and off: TWO_FACTOR_ENABLED and TWO_FACTOR_DISABLED by the session that did it', async () => {
      const { signIns } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows]);
      const a = signIns[0]!;
      const { secret } = dataOf(await graphql(env.url, BeginTotpSetupDocument, { confirmation: { password: PASSWORD } }, { token: a.token })).beginTotpSetup;
      dataOf(await graphql(env.url, ConfirmTotpSetupDocument, { code: await currentTotpCode(secret) }, { token: a.token }));
      dataOf(await graphql(env.url, DisableTotpDocument, { confirmation: { password: PASSWORD } }, { token: a.token }));

      const log = await events(a.token);
      expect(log.map((e) => e.type)).toEqual(['TWO_FACTOR_DISABLED', 'TWO_FACTOR_ENABLED', 'LOGIN']);
      for (const event of log.slice(0, 2)) {
        expect(event).toMatchObject({ actorSessionId: a.session.id, targetSessionIds: [], ipAddress: a.device.ip, deviceLabel: 'Chrome on Windows' });
      }
    });

    it('"this wasn\'t me": UNRECOGNIZED_SESSION_REPORTED from no session, naming exactly the reported session', async () => {
      const { email, signIns } = await accountWithDevices(env.url);
      const [a, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
      const alert = await env.smtp.next((m) => m.to === email && /new sign-in/i.test(m.subject));
      const token = linkParam(alert, '/report-sign-in', 'token');
      dataOf(await graphql(env.url, ReportUnrecognizedSessionDocument, { token }, { device: DEVICES.firefoxOnMac }));

      const [latest] = await events(a.token);
      expect(latest).toMatchObject({
        type: 'UNRECOGNIZED_SESSION_REPORTED',
        actorSessionId: null,
        targetSessionIds: [b.session.id],
        ipAddress: DEVICES.firefoxOnMac.ip,
      });
    });
  });

  it('is stored append-only: the database refuses to update, delete or truncate events', async () => {
    const { email, signIns } = await accountWithDevices(env.url);
    const userId = signIns[0]!.user.id;
    expect(errorCodes(await graphql(env.url, LoginDocument, { input: { email, password: 'wrong password' } }))).toEqual(['INVALID_CREDENTIALS']);
    const rows = () => sql<{ id: string; type: string; ip_address: string }>(env, 'SELECT id, type, ip_address FROM audit_events WHERE user_id = $1 ORDER BY id', [userId]);
    await until(async () => (await rows()).length === 3, 'the failed sign-in, written after its answer, to be stored');
    const before = await rows();
    expect(before.map((r) => r.type).sort()).toEqual(['LOGIN', 'LOGIN', 'LOGIN_FAILED']);

    await expect(sql(env, `UPDATE audit_events SET ip_address = '10.0.0.1' WHERE user_id = $1`, [userId])).rejects.toThrow(/append-only/);
    await expect(sql(env, `UPDATE audit_events SET type = 'LOGIN' WHERE user_id = $1 AND type = 'LOGIN_FAILED'`, [userId])).rejects.toThrow(/append-only/);
    await expect(sql(env, 'DELETE FROM audit_events WHERE user_id = $1', [userId])).rejects.toThrow(/append-only/);
    await expect(sql(env, 'TRUNCATE audit_events')).rejects.toThrow(/append-only/);
    expect(await rows()).toEqual(before);
  });

  it('places an event by the forwarded public address of the request when it comes through a trusted proxy', async () => {
    const { email, signIns } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows]);
    const a = signIns[0]!;
    const forwarded = { 'x-forwarded-for': GB_IP };
    const b = await login(email, DEVICES.safariOnIphone, PASSWORD, forwarded);
    expect(errorCodes(await graphql(env.url, LoginDocument, { input: { email, password: 'wrong password' } }, { device: DEVICES.firefoxOnMac, headers: forwarded }))).toEqual([
      'INVALID_CREDENTIALS',
    ]);
    // Signed in on the local network, signed out from abroad: the event is where the request came from.
    const c = await login(email, DEVICES.chromeOnPixel);
    dataOf(await graphql(env.url, LogoutDocument, {}, { token: c.token, device: DEVICES.chromeOnPixel, headers: forwarded }));

    const [logout, localSignIn, failed, signIn, registration] = await events(a.token);
    for (const event of [logout, failed, signIn]) {
      expect(event).toMatchObject({ ipAddress: GB_IP, location: { countryCode: 'GB', city: expect.any(String) } });
    }
    expect(logout).toMatchObject({ type: 'LOGOUT', actorSessionId: c.session.id });
    expect(failed?.type).toBe('LOGIN_FAILED');
    expect(signIn).toMatchObject({ type: 'LOGIN', actorSessionId: b.session.id });
    // Without the header, the loopback peer itself: no place.
    for (const event of [localSignIn, registration]) expect(event).toMatchObject({ type: 'LOGIN', location: { countryCode: null, city: null } });
    expect(localSignIn?.ipAddress).toBe(DEVICES.chromeOnPixel.ip);
    expect(registration?.ipAddress).toBe(a.device.ip);
  });

  // Last: the sweep ends every session in this cluster that is past the given date.
  it('expiry: SESSION_EXPIRED from no session, by the server, naming the expired sessions', async () => {
    const { email, signIns } = await accountWithDevices(env.url);
    const later = new Date(Math.max(...signIns.map((s) => Date.parse(s.session.expiresAt))) + 1000);
    await env.instances[0]!.services.sweeper.sweep(later);

    const fresh = await login(email, DEVICES.firefoxOnMac);
    const log = await events(fresh.token);
    const expired = log.filter((e) => e.type === 'SESSION_EXPIRED');
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ actorSessionId: null, at: later.toISOString() });
    expect([...expired[0]!.targetSessionIds].sort()).toEqual(signIns.map((s) => s.session.id).sort());
  });
});
