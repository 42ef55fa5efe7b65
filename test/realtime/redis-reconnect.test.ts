import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { OnSessionTerminatedDocument, RevokeSessionDocument } from '../generated/graphql';
import { accountWithDevices } from '../support/accounts';
import { dataOf, graphql, LiveConnection } from '../support/client';
import { startCluster, TEST_REDIS_URL, type TestCluster } from '../support/cluster';
import { TcpProxy } from '../support/tcp-proxy';
import { createLogger } from '../../src/common/logger';
import { startServer, type RunningServer } from '../../src/server';
import { until } from '../support/deferred';

const redisTarget = { host: new URL(TEST_REDIS_URL).hostname, port: Number(new URL(TEST_REDIS_URL).port || 6379) };
const SWEEP_SECONDS = 2;

// Instance A reaches Redis directly; B and C through proxies the tests cut, as if they lost Redis.
// B sweeps every 2 s; C sweeps once an hour, so only its own reconnection can tell it anything.
describe('an instance whose Redis comes back', () => {
  let cluster: TestCluster;
  let redis: Redis;
  let channel: string;
  let proxyB: TcpProxy;
  let proxyC: TcpProxy;
  let b: RunningServer;
  let c: RunningServer;

  /** Connections Redis counts on the session-event channel: one per instance that is listening. */
  const listeners = async () => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]);

  beforeAll(async () => {
    cluster = await startCluster({ env: { EXPIRY_SWEEP_SECONDS: String(SWEEP_SECONDS) } });
    redis = new Redis(TEST_REDIS_URL);
    channel = `${cluster.config.redisPrefix}session-events`;
    proxyB = await TcpProxy.start(redisTarget);
    proxyC = await TcpProxy.start(redisTarget);
    const logger = createLogger(cluster.config.logLevel);
    b = await startServer({ ...cluster.config, redisUrl: proxyB.urlFor(TEST_REDIS_URL) }, logger);
    c = await startServer({ ...cluster.config, redisUrl: proxyC.urlFor(TEST_REDIS_URL), expirySweepSeconds: 3600 }, logger);
  });
  afterEach(async () => {
    proxyB.restore();
    proxyC.restore();
    await cluster.drain();
    await until(async () => (await listeners()) === 3, 'every instance to listen again');
  });
  afterAll(async () => {
    await Promise.all([b?.dispose(), c?.dispose()]);
    await Promise.all([proxyB?.close(), proxyC?.close()]);
    await redis?.quit();
    await cluster?.dispose();
  });

  /** Account with devices a and b; b holds a sessionTerminated subscription on `instance`. */
  async function subscribedOn(instance: RunningServer) {
    const a = cluster.instances[0]!;
    const { signIns } = await accountWithDevices(a.url);
    const [actor, target] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
    const socket = await LiveConnection.open(instance.url, target.token, target.device);
    cluster.track(socket);
    const events = socket.subscribe(OnSessionTerminatedDocument);
    await until(() => instance.services.hub.subscriptionCount() === 1, 'the subscription');
    const revoke = async () => dataOf(await graphql(a.url, RevokeSessionDocument, { id: target.session.id }, { token: actor.token, device: actor.device }));
    return { actor, target, socket, events, revoke };
  }

  /** Cuts the instance's Redis and waits until Redis itself has seen it go. */
  async function cut(proxy: TcpProxy): Promise<void> {
    proxy.cut();
    await until(async () => (await listeners()) === 2, 'Redis to drop the instance');
  }

  it(`closes the sockets of a session that ended while Redis was away within one sweep (${SWEEP_SECONDS} s), with sessionTerminated naming who ended it`, async () => {
    const { actor, target, socket, events, revoke } = await subscribedOn(b);
    await cut(proxyB);

    const revoked = await revoke();
    const returnedAt = performance.now();
    expect(revoked.revokeSession.revokedSessionIds).toEqual([target.session.id]);

    expect((await events.next(4 * SWEEP_SECONDS * 1000)).sessionTerminated).toMatchObject({ reason: 'REVOKED', terminatedBy: { id: actor.session.id } });
    expect((await socket.waitForClose()).code).toBe(4401);
    // One sweep period, plus the time a sweep and the delivery take on a loaded machine.
    expect(socket.closedAt! - returnedAt).toBeLessThan(SWEEP_SECONDS * 1000 + 1500);
  });

  it('listens on the event channel again by itself once Redis is back, so the next ending arrives at once', async () => {
    const { socket, events, revoke } = await subscribedOn(c);
    await cut(proxyC);
    proxyC.restore();
    await until(async () => (await listeners()) === 3, 'the instance to subscribe again');

    await revoke();
    // Delivered by the bus: C sweeps only once an hour.
    expect((await events.next()).sessionTerminated).toMatchObject({ reason: 'REVOKED' });
    expect((await socket.waitForClose()).code).toBe(4401);
  });

  it('closes the sockets of a session that ended while Redis was away as soon as it listens again, without waiting for a sweep', async () => {
    const { socket, events, revoke } = await subscribedOn(c);
    await cut(proxyC);
    await revoke(); // C cannot hear it
    proxyC.restore();

    // C sweeps once an hour: only its reconnection can find the ending.
    expect((await events.next(10_000)).sessionTerminated).toMatchObject({ reason: 'REVOKED' });
    expect((await socket.waitForClose()).code).toBe(4401);
  });
});
