import { performance } from 'node:perf_hooks';
import { MeDocument, OnSessionsChangedDocument, OnSessionTerminatedDocument, RevokeOtherSessionsDocument, RevokeSessionDocument } from '../generated/graphql';
import { accountWithDevices, type SignIn } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql, tryConnect } from '../support/client';
import { clusterPerSuite } from '../support/cluster';
import { quietPeriod } from '../support/deferred';

// Two instances behind an imaginary load balancer, sharing Postgres and Redis.
describe('revocation across instances', () => {
  const cluster = clusterPerSuite({ count: 2 });
  let one: string;
  let two: string;
  beforeAll(() => {
    [one, two] = cluster.instances.map((instance) => instance.url) as [string, string];
  });

  it('revoking on instance one ends the session held open on instance two before the mutation returns', async () => {
    const { signIns } = await accountWithDevices(one);
    const [a, b] = signIns as [SignIn, SignIn];
    const bSocket = await cluster.connect(b.token, b.device, two);
    const aSocket = await cluster.connect(a.token, a.device, two);
    const terminated = bSocket.subscribe(OnSessionTerminatedDocument);
    const changes = aSocket.subscribe(OnSessionsChangedDocument);
    await cluster.waitForSubscribers(2);

    const sent = performance.now();
    dataOf(await graphql(one, RevokeSessionDocument, { id: b.session.id }, { token: a.token, device: a.device }));
    const returned = performance.now();

    // No instance answers "still valid" once the mutation has returned.
    for (const url of [one, two]) {
      expect(errorCodes(await graphql(url, MeDocument, {}, { token: b.token, device: b.device }))).toEqual(['UNAUTHENTICATED']);
      expect(await tryConnect(url, `Bearer ${b.token}`, b.device)).toMatchObject({ code: 4401 });
    }
    const event = (await terminated.next()).sessionTerminated;
    const close = await bSocket.waitForClose();
    expect(event).toMatchObject({ sessionId: b.session.id, reason: 'REVOKED', terminatedBy: { id: a.session.id, device: { label: 'Chrome on Windows' } } });
    expect(close).toEqual({ code: 4401, reason: 'Session terminated' });
    expect((await changes.next()).sessionsChanged).toEqual({ kind: 'REVOKED', sessionIds: [b.session.id] });

    if (process.env.REPORT_LATENCY) {
      console.log(
        `revokeSession took ${(returned - sent).toFixed(1)} ms; after it returned, B got sessionTerminated in ` +
          `${(terminated.arrivals[0]! - returned).toFixed(1)} ms and its socket closed in ${(bSocket.closedAt! - returned).toFixed(1)} ms`,
      );
    }
  });

  it('revokeOtherSessions on one instance closes the other sessions on both instances', async () => {
    const { signIns } = await accountWithDevices(one, [DEVICES.chromeOnWindows, DEVICES.safariOnIphone, DEVICES.chromeOnPixel]);
    const [a, b, c] = signIns as [SignIn, SignIn, SignIn];
    const bSocket = await cluster.connect(b.token, b.device, one);
    const cSocket = await cluster.connect(c.token, c.device, two);
    const aSocket = await cluster.connect(a.token, a.device, two);
    const bEvents = bSocket.subscribe(OnSessionTerminatedDocument);
    const cEvents = cSocket.subscribe(OnSessionTerminatedDocument);
    await cluster.waitForSubscribers(2);

    dataOf(await graphql(one, RevokeOtherSessionsDocument, {}, { token: a.token, device: a.device }));

    expect((await bEvents.next()).sessionTerminated.reason).toBe('SIGNED_OUT_EVERYWHERE');
    expect((await cEvents.next()).sessionTerminated.reason).toBe('SIGNED_OUT_EVERYWHERE');
    expect((await bSocket.waitForClose()).code).toBe(4401);
    expect((await cSocket.waitForClose()).code).toBe(4401);
    // The caller's own socket stays open and its token keeps working.
    expect(dataOf(await graphql(two, MeDocument, {}, { token: a.token })).me.id).toBe(a.user.id);
    expect(await Promise.race([aSocket.closed.promise, quietPeriod('open')])).toBe('open');
  });
});
