import { performance } from 'node:perf_hooks';
import { LoginDocument, OnSessionTerminatedDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD } from '../support/accounts';
import { dataOf, DEVICES, graphql } from '../support/client';
import { RawSocket } from '../support/raw-socket';
import { clusterPerSuite, sql } from '../support/cluster';
import { until } from '../support/deferred';

/** SessionEventHub's default: how long one socket may take to flush sessionTerminated before it is closed anyway. */
const DELIVERY_TIMEOUT_MS = 2000;

describe('a client that stops reading its socket', () => {
  // The test drives the sweeps itself.
  const cluster = clusterPerSuite({ env: { EXPIRY_SWEEP_SECONDS: '3600' } });

  /** Signs in `count` more sessions of the account. */
  async function signIn(email: string, count: number): Promise<{ id: string; token: string }[]> {
    const url = cluster.url;
    const sessions: { id: string; token: string }[] = [];
    for (let i = 0; i < count; i++) {
      const { token, session } = dataOf(await graphql(url, LoginDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.chromeOnPixel })).login;
      sessions.push({ id: session.id, token });
    }
    return sessions;
  }

  /** A sessionTerminated subscriber whose socket the server can no longer write to. */
  async function stalledSubscriber(session: { id: string; token: string }, subscribersBefore: number): Promise<void> {
    const { url, services } = cluster.instances[0]!;
    const raw = await RawSocket.acknowledged(url, session.token, DEVICES.chromeOnPixel);
    cluster.track({ dispose: () => raw.release() });
    raw.subscribeToTermination();
    await cluster.waitForSubscribers(subscribersBefore + 1);
    raw.stall();
    // The kernel buffers are full once the server starts holding bytes for this socket in memory.
    await until(() => services.sockets.socketsOf(session.id).some((socket) => socket.bufferedAmount > 0), 'the socket to stall');
  }

  it('ten stalled sockets ended in one sweep cost about one delivery timeout, and a healthy session is closed before they give up', async () => {
    const { url, services } = cluster.instances[0]!;
    const { email, signIns } = await accountWithDevices(url, [DEVICES.chromeOnWindows]);
    const stalled = await signIn(email, 10);
    for (const [i, session] of stalled.entries()) await stalledSubscriber(session, i);
    // Registered last, so a sweep that handles sessions one at a time reaches it after every stalled one.
    const healthy = signIns[0]!;
    const live = await cluster.connect(healthy.token, healthy.device, url);
    const events = live.subscribe(OnSessionTerminatedDocument);
    await cluster.waitForSubscribers(11);

    // Ended behind the bus's back, as if the message had been lost: the sweep's reconciliation must tell them.
    await sql(cluster, `UPDATE sessions SET revoked_at = now(), revoke_reason = 'REVOKED' WHERE user_id = (SELECT user_id FROM sessions WHERE id = $1)`, [healthy.session.id]);
    const started = performance.now();
    await services.sweeper.sweep();
    const sweepMs = performance.now() - started;

    expect((await events.next()).sessionTerminated).toMatchObject({ sessionId: healthy.session.id, reason: 'REVOKED' });
    expect((await live.waitForClose()).code).toBe(4401);
    // The stalled sockets really held the sweep for one timeout (it cannot end sooner), but not for ten.
    expect(sweepMs).toBeGreaterThanOrEqual(DELIVERY_TIMEOUT_MS - 50);
    expect(sweepMs).toBeLessThan(3 * DELIVERY_TIMEOUT_MS);
    // The healthy session was closed well before the stalled ones were given up on.
    expect(started + sweepMs - live.closedAt!).toBeGreaterThan(DELIVERY_TIMEOUT_MS / 2);
    expect(services.sockets.countFor(stalled[0]!.id)).toBe(0);
    console.log(`10 stalled + 1 healthy, one sweep: ${sweepMs.toFixed(0)} ms; healthy closed after ${(live.closedAt! - started).toFixed(0)} ms`);
  });

  it('a stalled session and a healthy one expiring in the same sweep: the healthy one is told and closed at once, and is told once', async () => {
    const { url, services } = cluster.instances[0]!;
    const stalledAccount = await accountWithDevices(url, [DEVICES.chromeOnWindows]);
    const healthyAccount = await accountWithDevices(url, [DEVICES.safariOnIphone]);
    const stalled = stalledAccount.signIns[0]!;
    const healthy = healthyAccount.signIns[0]!;
    await stalledSubscriber({ id: stalled.session.id, token: stalled.token }, 0);
    const live = await cluster.connect(healthy.token, healthy.device, url);
    const events = live.subscribe(OnSessionTerminatedDocument);
    await cluster.waitForSubscribers(2);

    await sql(cluster, `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = ANY($1::uuid[])`, [[stalled.session.id, healthy.session.id]]);
    const started = performance.now();
    await services.sweeper.sweep();
    const sweepMs = performance.now() - started;

    expect((await events.next()).sessionTerminated).toMatchObject({ sessionId: healthy.session.id, reason: 'EXPIRED' });
    expect((await live.waitForClose()).code).toBe(4401);
    expect(live.closedAt! - started).toBeLessThan(DELIVERY_TIMEOUT_MS);
    expect(events.pending).toBe(0);
    console.log(`expiry of 1 stalled + 1 healthy: sweep ${sweepMs.toFixed(0)} ms; healthy closed after ${(live.closedAt! - started).toFixed(0)} ms`);
  });
});
