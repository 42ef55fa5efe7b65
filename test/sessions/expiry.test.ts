import { MeDocument, OnSessionTerminatedDocument, SessionsDocument } from '../generated/graphql';
import { accountWithDevices } from '../support/accounts';
import { dataOf, errorCodes, graphql, LiveConnection, tryConnect } from '../support/client';
import { startCluster, waitForSubscribers, type TestCluster } from '../support/server';

describe('sessions past expiresAt', () => {
  let cluster: TestCluster;
  let url: string;

  beforeAll(async () => {
    // Sessions live 60 s; the test moves the clock forward instead of waiting.
    cluster = await startCluster({ env: { SESSION_TTL_SECONDS: '60', EXPIRY_SWEEP_SECONDS: '3600' } });
    url = cluster.instances[0]!.url;
  });
  afterAll(() => cluster.dispose());

  it('are neither listed nor accepted, and the sweeper ends them with EXPIRED and closes their sockets', async () => {
    const { signIns } = await accountWithDevices(url);
    const [a, b] = signIns as [typeof signIns[0], typeof signIns[0]];
    const bSocket = await LiveConnection.open(url, b.token, b.device);
    const bEvents = bSocket.subscribe(OnSessionTerminatedDocument);
    await waitForSubscribers(cluster, 1);
    const { services } = cluster.instances[0]!;
    const later = new Date(Date.parse(b.session.expiresAt) + 1000);

    // The token check compares with the clock: an expired token is refused even before any sweep.
    expect(await services.sessions.authenticate(b.token, later)).toBeNull();
    expect(await services.sessions.listLive(a.user.id, later)).toEqual([]);
    expect(dataOf(await graphql(url, SessionsDocument, {}, { token: a.token })).sessions).toHaveLength(2);

    await services.sweeper.sweep(later);

    expect((await bEvents.next()).sessionTerminated).toMatchObject({ sessionId: b.session.id, reason: 'EXPIRED', terminatedBy: null });
    expect(await bSocket.waitForClose()).toEqual({ code: 4401, reason: 'Session terminated' });
    expect(errorCodes(await graphql(url, MeDocument, {}, { token: b.token }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await graphql(url, MeDocument, {}, { token: a.token }))).toEqual(['UNAUTHENTICATED']);
    expect(await tryConnect(url, `Bearer ${a.token}`)).toMatchObject({ code: 4401 });
  });
});
