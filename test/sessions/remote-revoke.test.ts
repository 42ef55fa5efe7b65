import {
  LoginDocument,
  LogoutDocument,
  MeDocument,
  OnSessionsChangedDocument,
  OnSessionTerminatedDocument,
  RevokeOtherSessionsDocument,
  RevokeSessionDocument,
  SessionsDocument,
} from '../generated/graphql';
import { accountWithDevices, PASSWORD } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql, LiveConnection, tryConnect } from '../support/client';
import { startCluster, waitForSubscribers, type Backend, type TestCluster } from '../support/server';

// The same behaviour on Postgres + Redis and on the embedded SQLite default.
describe.each<Backend>(['postgres', 'sqlite'])('remote sign-out on %s', (backend) => {
  let cluster: TestCluster;
  let url: string;
  const connections: LiveConnection[] = [];
  const connect = async (...args: Parameters<typeof LiveConnection.open>) => {
    const connection = await LiveConnection.open(...args);
    connections.push(connection);
    return connection;
  };

  beforeAll(async () => {
    cluster = await startCluster({ backend });
    url = cluster.instances[0]!.url;
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.dispose()));
  });
  afterAll(() => cluster.dispose());

  it('lists both devices with what was parsed from each, marking only the caller as current', async () => {
    const { signIns } = await accountWithDevices(url);
    const [a, b] = signIns as [typeof signIns[0], typeof signIns[0]];

    const { sessions } = dataOf(await graphql(url, SessionsDocument, {}, { token: a.token, device: a.device }));

    expect(sessions.map((s) => s.id)).toEqual([b.session.id, a.session.id]); // newest first
    const [listedB, listedA] = sessions as [typeof sessions[0], typeof sessions[0]];
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

  it('revoking device B tells B why, closes its sockets, refuses its token and updates A', async () => {
    const { signIns } = await accountWithDevices(url);
    const [a, b] = signIns as [typeof signIns[0], typeof signIns[0]];
    const bSocket = await connect(url, b.token, b.device);
    const bSecondSocket = await connect(url, b.token, b.device);
    const aSocket = await connect(url, a.token, a.device);
    const terminated = bSocket.subscribe(OnSessionTerminatedDocument);
    const changes = aSocket.subscribe(OnSessionsChangedDocument);
    await waitForSubscribers(cluster, 2);

    const result = dataOf(await graphql(url, RevokeSessionDocument, { id: b.session.id }, { token: a.token, device: a.device }));

    expect(result.revokeSession).toEqual({ revokedCount: 1, revokedSessionIds: [b.session.id] });
    // Refused as soon as the mutation has returned, on HTTP and on a new socket.
    expect(errorCodes(await graphql(url, MeDocument, {}, { token: b.token, device: b.device }))).toEqual(['UNAUTHENTICATED']);
    expect(await tryConnect(url, `Bearer ${b.token}`, b.device)).toEqual({ code: 4401, reason: 'Unauthorized' });

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
    expect(dataOf(await graphql(url, SessionsDocument, {}, { token: a.token })).sessions.map((s) => s.id)).toEqual([a.session.id]);
  });

  it('a new sign-in shows up on the signed-in devices as ADDED', async () => {
    const { signIns } = await accountWithDevices(url, [DEVICES.chromeOnWindows]);
    const a = signIns[0]!;
    const aSocket = await connect(url, a.token, a.device);
    const changes = aSocket.subscribe(OnSessionsChangedDocument);
    await waitForSubscribers(cluster, 1);

    const { login } = dataOf(
      await graphql(url, LoginDocument, { input: { email: a.user.email, password: PASSWORD } }, { device: DEVICES.chromeOnPixel }),
    );

    expect((await changes.next()).sessionsChanged).toEqual({ kind: 'ADDED', sessionIds: [login.session.id] });
  });

  it('revokeOtherSessions ends every session but the caller with SIGNED_OUT_EVERYWHERE', async () => {
    const { signIns } = await accountWithDevices(url, [DEVICES.chromeOnWindows, DEVICES.safariOnIphone, DEVICES.chromeOnPixel]);
    const [a, b, c] = signIns as [typeof signIns[0], typeof signIns[0], typeof signIns[0]];
    const bSocket = await connect(url, b.token, b.device);
    const cSocket = await connect(url, c.token, c.device);
    const bTerminated = bSocket.subscribe(OnSessionTerminatedDocument);
    const cTerminated = cSocket.subscribe(OnSessionTerminatedDocument);
    await waitForSubscribers(cluster, 2);

    const { revokeOtherSessions } = dataOf(await graphql(url, RevokeOtherSessionsDocument, {}, { token: a.token, device: a.device }));

    expect(revokeOtherSessions.revokedCount).toBe(2);
    expect([...revokeOtherSessions.revokedSessionIds].sort()).toEqual([b.session.id, c.session.id].sort());
    for (const queue of [bTerminated, cTerminated]) {
      expect((await queue.next()).sessionTerminated).toMatchObject({ reason: 'SIGNED_OUT_EVERYWHERE', terminatedBy: { id: a.session.id } });
    }
    expect((await bSocket.waitForClose()).code).toBe(4401);
    expect((await cSocket.waitForClose()).code).toBe(4401);
    expect(dataOf(await graphql(url, SessionsDocument, {}, { token: a.token })).sessions.map((s) => s.id)).toEqual([a.session.id]);
    // Nothing left to revoke: a second call is a no-op, not an error.
    expect(dataOf(await graphql(url, RevokeOtherSessionsDocument, {}, { token: a.token })).revokeOtherSessions.revokedCount).toBe(0);
  });

  it('logout ends only the caller, with LOGOUT and no terminatedBy', async () => {
    const { signIns } = await accountWithDevices(url);
    const [a, b] = signIns as [typeof signIns[0], typeof signIns[0]];
    const aSocket = await connect(url, a.token, a.device);
    const terminated = aSocket.subscribe(OnSessionTerminatedDocument);
    await waitForSubscribers(cluster, 1);

    expect(dataOf(await graphql(url, LogoutDocument, {}, { token: a.token, device: a.device })).logout).toBe(true);

    expect((await terminated.next()).sessionTerminated).toMatchObject({ sessionId: a.session.id, reason: 'LOGOUT', terminatedBy: null });
    expect(await aSocket.waitForClose()).toEqual({ code: 4401, reason: 'Session terminated' });
    expect(errorCodes(await graphql(url, LogoutDocument, {}, { token: a.token }))).toEqual(['UNAUTHENTICATED']);
    expect(dataOf(await graphql(url, SessionsDocument, {}, { token: b.token })).sessions.map((s) => s.id)).toEqual([b.session.id]);
  });
});
