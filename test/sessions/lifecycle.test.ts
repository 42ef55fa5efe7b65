import {
  AuditLogDocument,
  LoginDocument,
  LogoutDocument,
  MeDocument,
  OnSessionsChangedDocument,
  OnSessionTerminatedDocument,
  RevokeOtherSessionsDocument,
  RevokeSessionDocument,
  SessionsDocument,
} from '../generated/graphql';
import { accountWithDevices, PASSWORD, type SignIn } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql, graphqlErrors, tryConnect } from '../support/client';
import { clusterPerSuite, sql, type Backend } from '../support/cluster';

/**
 * The life of a session, from sign-in to its end by logout, revoke, revokeOthers or expiry, with the
 * news on the open subscription and the socket's close: the same on Postgres + Redis and on the
 * embedded SQLite default (one instance, in-process events).
 */
describe.each<Backend>(['postgres', 'sqlite'])('the session lifecycle on %s', (backend) => {
  // A short TTL for the expiry test; no background sweep, so only the test's sweep ends sessions.
  const cluster = clusterPerSuite({ backend, env: { SESSION_TTL_SECONDS: '60', EXPIRY_SWEEP_SECONDS: '3600' } });

  it('lists both devices with what was parsed from each, marking only the caller as current', async () => {
    const { signIns } = await accountWithDevices(cluster.url);
    const [a, b] = signIns as [SignIn, SignIn];

    const { sessions } = dataOf(await graphql(cluster.url, SessionsDocument, {}, { token: a.token, device: a.device }));

    expect(sessions.map((s) => s.id)).toEqual([b.session.id, a.session.id]); // newest first
    const [listedB, listedA] = sessions as [(typeof sessions)[0], (typeof sessions)[0]];
    expect(listedA).toMatchObject({
      current: true,
      ipAddress: '127.0.0.2',
      device: { type: 'DESKTOP', os: 'Windows 10', browser: 'Chrome 126', label: 'Chrome on Windows' },
      location: { countryCode: null, country: null, region: null, city: null },
    });
    expect(listedB).toMatchObject({
      current: false,
      ipAddress: '127.0.0.3',
      device: { type: 'MOBILE', os: 'iOS 17.4', browser: 'Safari 17', model: 'iPhone', label: 'Safari on iOS' },
    });
    for (const session of sessions) {
      expect(Date.parse(session.lastActiveAt)).toBeGreaterThanOrEqual(Date.parse(session.createdAt));
      expect(Date.parse(session.expiresAt)).toBeGreaterThan(Date.now());
    }
  });

  it('revoking device B tells B why, closes its sockets, refuses its token and tells A', async () => {
    const { signIns } = await accountWithDevices(cluster.url);
    const [a, b] = signIns as [SignIn, SignIn];
    const bSocket = await cluster.connect(b.token, b.device);
    const bSecondSocket = await cluster.connect(b.token, b.device);
    const aSocket = await cluster.connect(a.token, a.device);
    const terminated = bSocket.subscribe(OnSessionTerminatedDocument);
    const changes = aSocket.subscribe(OnSessionsChangedDocument);
    await cluster.waitForSubscribers(2);

    const result = dataOf(await graphql(cluster.url, RevokeSessionDocument, { id: b.session.id }, { token: a.token, device: a.device }));

    expect(result.revokeSession).toEqual({ revokedCount: 1, revokedSessionIds: [b.session.id] });
    // Refused as soon as the mutation has returned, on HTTP and on a new socket.
    expect(errorCodes(await graphql(cluster.url, MeDocument, {}, { token: b.token, device: b.device }))).toEqual(['UNAUTHENTICATED']);
    expect(await tryConnect(cluster.url, `Bearer ${b.token}`, b.device)).toEqual({ code: 4401, reason: 'Unauthorized' });

    const event = (await terminated.next()).sessionTerminated;
    expect(event).toMatchObject({
      sessionId: b.session.id,
      reason: 'REVOKED',
      terminatedBy: { id: a.session.id, ipAddress: '127.0.0.2', device: { label: 'Chrome on Windows' } },
    });
    expect(Math.abs(Date.parse(event.terminatedAt) - Date.now())).toBeLessThan(10_000);
    expect(await bSocket.waitForClose()).toEqual({ code: 4401, reason: 'Session terminated' });
    expect(await bSecondSocket.waitForClose()).toEqual({ code: 4401, reason: 'Session terminated' });

    expect((await changes.next()).sessionsChanged).toEqual({ kind: 'REVOKED', sessionIds: [b.session.id] });
    // A is untouched.
    expect(dataOf(await graphql(cluster.url, SessionsDocument, {}, { token: a.token })).sessions.map((s) => s.id)).toEqual([a.session.id]);
  });

  it('a new sign-in shows up on the devices already signed in as ADDED', async () => {
    const { signIns } = await accountWithDevices(cluster.url, [DEVICES.chromeOnWindows]);
    const a = signIns[0]!;
    const aSocket = await cluster.connect(a.token, a.device);
    const changes = aSocket.subscribe(OnSessionsChangedDocument);
    await cluster.waitForSubscribers(1);

    const { login } = dataOf(await graphql(cluster.url, LoginDocument, { input: { email: a.user.email, password: PASSWORD } }, { device: DEVICES.chromeOnPixel }));

    expect((await changes.next()).sessionsChanged).toEqual({ kind: 'ADDED', sessionIds: [login.session.id] });
  });

  it('revokeOtherSessions ends every session but the caller with SIGNED_OUT_EVERYWHERE, and a second call ends none', async () => {
    const { signIns } = await accountWithDevices(cluster.url, [DEVICES.chromeOnWindows, DEVICES.safariOnIphone, DEVICES.chromeOnPixel]);
    const [a, b, c] = signIns as [SignIn, SignIn, SignIn];
    const bSocket = await cluster.connect(b.token, b.device);
    const cSocket = await cluster.connect(c.token, c.device);
    const bTerminated = bSocket.subscribe(OnSessionTerminatedDocument);
    const cTerminated = cSocket.subscribe(OnSessionTerminatedDocument);
    await cluster.waitForSubscribers(2);

    const { revokeOtherSessions } = dataOf(await graphql(cluster.url, RevokeOtherSessionsDocument, {}, { token: a.token, device: a.device }));

    expect(revokeOtherSessions.revokedCount).toBe(2);
    expect([...revokeOtherSessions.revokedSessionIds].sort()).toEqual([b.session.id, c.session.id].sort());
    for (const queue of [bTerminated, cTerminated]) {
      expect((await queue.next()).sessionTerminated).toMatchObject({ reason: 'SIGNED_OUT_EVERYWHERE', terminatedBy: { id: a.session.id } });
    }
    expect((await bSocket.waitForClose()).code).toBe(4401);
    expect((await cSocket.waitForClose()).code).toBe(4401);
    expect(dataOf(await graphql(cluster.url, SessionsDocument, {}, { token: a.token })).sessions.map((s) => s.id)).toEqual([a.session.id]);
    // Nothing left to revoke: a second call is a no-op, not an error.
    expect(dataOf(await graphql(cluster.url, RevokeOtherSessionsDocument, {}, { token: a.token })).revokeOtherSessions.revokedCount).toBe(0);
  });

  it('logout ends only the caller, with LOGOUT and no terminatedBy', async () => {
    const { signIns } = await accountWithDevices(cluster.url);
    const [a, b] = signIns as [SignIn, SignIn];
    const aSocket = await cluster.connect(a.token, a.device);
    const terminated = aSocket.subscribe(OnSessionTerminatedDocument);
    await cluster.waitForSubscribers(1);

    expect(dataOf(await graphql(cluster.url, LogoutDocument, {}, { token: a.token, device: a.device })).logout).toBe(true);

    expect((await terminated.next()).sessionTerminated).toMatchObject({ sessionId: a.session.id, reason: 'LOGOUT', terminatedBy: null });
    expect(await aSocket.waitForClose()).toEqual({ code: 4401, reason: 'Session terminated' });
    expect(errorCodes(await graphql(cluster.url, LogoutDocument, {}, { token: a.token }))).toEqual(['UNAUTHENTICATED']);
    expect(dataOf(await graphql(cluster.url, SessionsDocument, {}, { token: b.token })).sessions.map((s) => s.id)).toEqual([b.session.id]);
  });

  it('sessions past expiresAt are neither listed nor accepted, and the sweeper ends them with EXPIRED and closes their sockets', async () => {
    const { url } = cluster;
    const { signIns } = await accountWithDevices(url);
    const [a, b] = signIns as [SignIn, SignIn];
    const bSocket = await cluster.connect(b.token, b.device);
    const bEvents = bSocket.subscribe(OnSessionTerminatedDocument);
    await cluster.waitForSubscribers(1);
    const { services } = cluster.instances[0]!;
    const later = new Date(Date.parse(b.session.expiresAt) + 1000);

    // The token check compares with the clock: an expired token is refused even before any sweep.
    expect(await services.sessions.authenticate(b.token, later)).toBeNull();
    expect(await services.sessions.listLive(a.user.id, { now: later })).toEqual([]);
    expect(dataOf(await graphql(url, SessionsDocument, {}, { token: a.token })).sessions).toHaveLength(2);

    await services.sweeper.sweep(later);

    expect((await bEvents.next()).sessionTerminated).toMatchObject({ sessionId: b.session.id, reason: 'EXPIRED', terminatedBy: null });
    expect(await bSocket.waitForClose()).toEqual({ code: 4401, reason: 'Session terminated' });
    expect(errorCodes(await graphql(url, MeDocument, {}, { token: b.token }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await graphql(url, MeDocument, {}, { token: a.token }))).toEqual(['UNAUTHENTICATED']);
    expect(await tryConnect(url, `Bearer ${a.token}`)).toMatchObject({ code: 4401 });
  });

  describe('when every sign-out needs its own confirmation (STEP_UP_WINDOW_SECONDS=0)', () => {
    const strict = clusterPerSuite({ backend, env: { STEP_UP_WINDOW_SECONDS: '0' } });
    const auditLog = async (token: string, first: number, after?: string | null) => dataOf(await graphql(strict.url, AuditLogDocument, { first, after }, { token })).auditLog;

    it('revoking another device is refused without a confirmation and with a wrong one, then ends it at once, and the audit log shows it', async () => {
      const { url } = strict;
      const { signIns } = await accountWithDevices(url);
      const [a, b] = signIns as [SignIn, SignIn];
      const bSocket = await strict.connect(b.token, b.device);
      const bEvents = bSocket.subscribe(OnSessionTerminatedDocument);
      await strict.waitForSubscribers(1);

      const unconfirmed = await graphql(url, RevokeSessionDocument, { id: b.session.id }, { token: a.token });
      expect(errorCodes(unconfirmed)).toEqual(['STEP_UP_REQUIRED']);
      expect(unconfirmed.errors?.[0]?.extensions?.methods).toEqual(['PASSWORD', 'EMAIL_CODE']);
      expect(errorCodes(await graphql(url, RevokeSessionDocument, { id: b.session.id, confirmation: { password: 'wrong password' } }, { token: a.token }))).toEqual([
        'INVALID_CONFIRMATION',
      ]);
      expect(dataOf(await graphql(url, MeDocument, {}, { token: b.token })).me.id).toBe(a.user.id);

      const revoked = dataOf(await graphql(url, RevokeSessionDocument, { id: b.session.id, confirmation: { password: PASSWORD } }, { token: a.token, device: a.device }));
      expect(revoked.revokeSession.revokedSessionIds).toEqual([b.session.id]);
      expect((await bEvents.next()).sessionTerminated).toMatchObject({ reason: 'REVOKED', terminatedBy: { id: a.session.id } });
      expect((await bSocket.waitForClose()).code).toBe(4401);
      expect(graphqlErrors(bEvents.errors)).toEqual([]);
      expect(errorCodes(await graphql(url, MeDocument, {}, { token: b.token }))).toEqual(['UNAUTHENTICATED']);

      const log = (await auditLog(a.token, 10)).edges.map((edge) => edge.node);
      expect(log.map((e) => e.type)).toEqual(['SESSION_REVOKED', 'CONFIRMATION_FAILED', 'LOGIN', 'LOGIN']);
      expect(log[0]).toMatchObject({ actorSessionId: a.session.id, targetSessionIds: [b.session.id], deviceLabel: 'Chrome on Windows', ipAddress: a.device.ip });
    });

    it('pages the audit log newest first with no event repeated or skipped, and refuses a garbage cursor', async () => {
      const { url } = strict;
      const { email, signIns } = await accountWithDevices(url, [DEVICES.chromeOnWindows]);
      const a = signIns[0]!;
      const expectedOldestFirst = ['LOGIN'];
      for (const device of [DEVICES.safariOnIphone, DEVICES.chromeOnPixel]) {
        const signIn = dataOf(await graphql(url, LoginDocument, { input: { email, password: PASSWORD } }, { device })).login;
        dataOf(await graphql(url, LogoutDocument, {}, { token: signIn.token }));
        expectedOldestFirst.push('LOGIN', 'LOGOUT');
      }
      expect(errorCodes(await graphql(url, LoginDocument, { input: { email, password: 'wrong password' } }))).toEqual(['INVALID_CREDENTIALS']);
      expectedOldestFirst.push('LOGIN_FAILED');

      const all = (await auditLog(a.token, 100)).edges.map((edge) => edge.node);
      expect(all.map((e) => e.type)).toEqual([...expectedOldestFirst].reverse());
      const walked: string[] = [];
      const hasNext: boolean[] = [];
      let after: string | null = null;
      for (let i = 0; i < 5; i++) {
        const page: Awaited<ReturnType<typeof auditLog>> = await auditLog(a.token, 2, after);
        walked.push(...page.edges.map((edge) => edge.node.id));
        hasNext.push(page.pageInfo.hasNextPage);
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(walked).toEqual(all.map((e) => e.id));
      expect(hasNext).toEqual([true, true, false]);

      expect(errorCodes(await graphql(url, AuditLogDocument, { first: 2, after: 'garbage' }, { token: a.token }))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await graphql(url, AuditLogDocument, { first: 101 }, { token: a.token }))).toEqual(['BAD_USER_INPUT']);
    });

    it('stores the audit log append-only: the database refuses to update or delete an event', async () => {
      const { signIns } = await accountWithDevices(strict.url, [DEVICES.chromeOnWindows]);
      const userId = signIns[0]!.user.id;
      const rows = () => sql(strict, 'SELECT id, type, ip_address FROM audit_events WHERE user_id = $1 ORDER BY id', [userId]);
      const before = await rows();
      expect(before).toHaveLength(1);
      await expect(sql(strict, `UPDATE audit_events SET ip_address = '10.0.0.1' WHERE user_id = $1`, [userId])).rejects.toThrow(/append-only/);
      await expect(sql(strict, 'DELETE FROM audit_events WHERE user_id = $1', [userId])).rejects.toThrow(/append-only/);
      expect(await rows()).toEqual(before);
    });
  });
});
