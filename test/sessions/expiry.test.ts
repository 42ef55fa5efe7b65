import { MeDocument, OnSessionTerminatedDocument, SessionsDocument } from '../generated/graphql';
import { accountWithDevices } from '../support/accounts';
import { dataOf, errorCodes, graphql, LiveConnection, tryConnect } from '../support/client';
import { clusterPerSuite, waitForSubscribers } from '../support/server';

describe('sessions past expiresAt', () => {
  const suite = clusterPerSuite({ env: { SESSION_TTL_SECONDS: '60', EXPIRY_SWEEP_SECONDS: '3600' } });

  it('are neither listed nor accepted, and the sweeper ends them with EXPIRED and closes their sockets', async () => {
    const { signIns } = await accountWithDevices(suite.url);
    const [a, b] = signIns as [typeof signIns[0], typeof signIns[0]];
    const bSocket = await LiveConnection.open(suite.url, b.token, b.device);
    const bEvents = bSocket.subscribe(OnSessionTerminatedDocument);
    await waitForSubscribers(suite.cluster, 1);
    const { services } = suite.cluster.instances[0]!;
    const later = new Date(Date.parse(b.session.expiresAt) + 1000);

    // The token check compares with the clock: an expired token is refused even before any sweep.
    expect(await services.sessions.authenticate(b.token, later)).toBeNull();
    expect(await services.sessions.listLive(a.user.id, later)).toEqual([]);
    expect(dataOf(await graphql(suite.url, SessionsDocument, {}, { token: a.token })).sessions).toHaveLength(2);

    await services.sweeper.sweep(later);

    expect((await bEvents.next()).sessionTerminated).toMatchObject({ sessionId: b.session.id, reason: 'EXPIRED', terminatedBy: null });
    expect(await bSocket.waitForClose()).toEqual({ code: 4401, reason: 'Session terminated' });
    expect(errorCodes(await graphql(suite.url, MeDocument, {}, { token: b.token }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await graphql(suite.url, MeDocument, {}, { token: a.token }))).toEqual(['UNAUTHENTICATED']);
    expect(await tryConnect(suite.url, `Bearer ${a.token}`)).toMatchObject({ code: 4401 });
  });
});
