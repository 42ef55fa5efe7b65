import { join } from 'node:path';
import { ChildServer } from '../../bench/lib/child-server';
import { seedAccounts } from '../../bench/lib/seed';
import { LogoutDocument } from '../generated/graphql';
import { dataOf, graphql } from '../support/client';
import { sameStoresEnv, sql, startCluster, type TestCluster } from '../support/cluster';
import { originOf, serviceClient, ssfCall, TestReceiver, type TestServiceClient } from '../support/ssf';
import { ServiceScope } from '../../src/service-clients/service-client.entity';
import { until } from '../support/deferred';

const PUSH = 'urn:ietf:rfc:8935';
const sessionOf = (claims: Record<string, unknown>) => (claims.sub_id as { session: { id: string } }).session.id;

describe('SSF push delivery (RFC 8935) through the durable outbox', () => {
  let cluster: TestCluster;
  let receiver: TestReceiver;
  let client: TestServiceClient;

  beforeAll(async () => {
    cluster = await startCluster({
      // The instance in this process delivers only when nudged (its own endings) or asked: the
      // killed-instance test needs the child, not this one, to be the one mid-delivery.
      env: { SSF_ALLOW_PRIVATE_RECEIVERS: 'true', SSF_PUSH_RETRY_BASE_MS: '50', SSF_PUSH_RETRY_MAX_MS: '400', SSF_DELIVERY_INTERVAL_MS: '60000' },
    });
    const a = cluster.instances[0]!;
    receiver = await TestReceiver.start(originOf(a.url));
    client = await serviceClient(a, [ServiceScope.SSF_MANAGE, ServiceScope.SSF_READ]);
  });
  afterAll(async () => {
    await cluster?.dispose();
    await receiver?.close();
  });

  async function newStream(): Promise<string> {
    const created = await ssfCall(cluster.instances[0]!, client.accessToken, 'POST', '/ssf/streams', { delivery: { method: PUSH, endpoint_url: receiver.url } });
    expect(created.status).toBe(201);
    return String(created.body.stream_id);
  }

  const outboxOrder = async (streamId: string) =>
    (await sql<{ jti: string }>(cluster, `SELECT jti FROM ssf_outbox WHERE stream_id = $1 AND event_type = 'session-revoked' ORDER BY seq`, [streamId])).map((row) => row.jti);

  it('a receiver down for a while (503, then refusing connections) gets every SET once, in order, when it is back', async () => {
    const a = cluster.instances[0]!;
    const streamId = await newStream();
    const [account] = await seedAccounts(a.services, { accounts: 1, sessionsPerAccount: 12 });
    const before = receiver.sets.length;

    receiver.down();
    // Twelve endings, one after the other, while the receiver answers 503.
    for (const session of account!.others.slice(0, 6)) dataOf(await graphql(a.url, LogoutDocument, {}, { token: session.token }));
    const retried = async () => (await sql(cluster, `SELECT 1 FROM ssf_deliveries WHERE stream_id = $1 AND outcome = 'retry'`, [streamId])).length;
    await until(async () => (await a.services.serviceApi.push.idle(), (await retried()) >= 2), 'two retries to be recorded', 10_000, 50);
    // Then it is gone altogether: connections refused.
    await receiver.close();
    for (const session of account!.others.slice(6)) dataOf(await graphql(a.url, LogoutDocument, {}, { token: session.token }));
    expect(receiver.sets.length).toBe(before);

    await receiver.reopen();
    receiver.up();
    await receiver.waitFor(before + 12);
    a.services.serviceApi.push.nudge();
    await a.services.serviceApi.push.idle();

    const arrived = receiver.sets.slice(before);
    expect(arrived.map((set) => set.jti)).toEqual(await outboxOrder(streamId));
    expect(arrived.map((set) => sessionOf(set.claims))).toEqual(account!.others.map((session) => session.id));
    expect(new Set(arrived.map((set) => set.jti)).size).toBe(12);
    expect(receiver.sets.length).toBe(before + 12);
    const log = await ssfCall<{ outcome: string }[]>(a, client.accessToken, 'GET', `/ssf/deliveries?stream_id=${streamId}&limit=1000`);
    expect(log.body.filter((entry) => entry.outcome === 'delivered')).toHaveLength(12);
    expect(log.body.filter((entry) => entry.outcome === 'retry').length).toBeGreaterThanOrEqual(2);
    await ssfCall(a, client.accessToken, 'DELETE', `/ssf/streams?stream_id=${streamId}`);
  });

  it('a receiver that never answers holds no ending back: endings commit while its push is in flight', async () => {
    const a = cluster.instances[0]!;
    const streamId = await newStream();
    const [account] = await seedAccounts(a.services, { accounts: 1, sessionsPerAccount: 4 });
    const held = receiver.hold();
    try {
      const [first, ...rest] = account!.others;
      dataOf(await graphql(a.url, LogoutDocument, {}, { token: first!.token }));
      await held; // A's worker now holds the stream's claim, waiting on the receiver
      for (const session of rest) {
        const started = Date.now();
        dataOf(await graphql(a.url, LogoutDocument, {}, { token: session.token }));
        // The push waits up to SSF_PUSH_TIMEOUT_MS (5 s); an ending queued behind the claim would take that long or fail.
        expect(Date.now() - started).toBeLessThan(2_500);
      }
      expect(await sql(cluster, `SELECT 1 FROM ssf_outbox WHERE stream_id = $1 AND state = 'pending'`, [streamId])).toHaveLength(account!.others.length);
    } finally {
      receiver.release();
      await ssfCall(a, client.accessToken, 'DELETE', `/ssf/streams?stream_id=${streamId}`);
    }
  });

  it('an instance killed mid-delivery loses nothing: another instance delivers every SET', async () => {
    const a = cluster.instances[0]!;
    const { config } = cluster;
    const b = await ChildServer.start(join(__dirname, '..', 'support', 'child-instance.ts'), {
      env: {
        ...sameStoresEnv(config),
        SSF_ALLOW_PRIVATE_RECEIVERS: 'true',
        SSF_DELIVERY_INTERVAL_MS: '100',
      },
    });
    try {
      const streamId = await newStream();
      const [account] = await seedAccounts(a.services, { accounts: 1, sessionsPerAccount: 5 });
      const before = receiver.sets.length;
      const held = receiver.hold();
      // The endings happen on B, whose worker starts pushing and is left hanging by the receiver.
      for (const session of account!.others) dataOf(await graphql(b.url, LogoutDocument, {}, { token: session.token }));
      await held;
      process.kill(await b.request<number>('pid'), 'SIGKILL');
      receiver.release();

      // A finds the stream free once B's connection (and its transaction and lock) is gone.
      await until(
        async () => {
          a.services.serviceApi.push.nudge();
          await a.services.serviceApi.push.idle();
          return receiver.sets.length >= before + 5;
        },
        'A to deliver the five SETs B left behind',
        20_000,
        100,
      );
      const arrived = receiver.sets.slice(before);
      expect(arrived.map((set) => sessionOf(set.claims))).toEqual(account!.others.map((session) => session.id));
      expect(arrived.map((set) => set.jti)).toEqual(await outboxOrder(streamId));
      const pending = await sql(cluster, `SELECT 1 FROM ssf_outbox WHERE stream_id = $1 AND state = 'pending'`, [streamId]);
      expect(pending).toHaveLength(0);
    } finally {
      receiver.release();
      await b.stop();
    }
  });

  it('the signing key is generated once and stored with its private half sealed by SECRET_KEY', async () => {
    const [row] = await sql<{ count: string }>(cluster, 'SELECT count(*) FROM ssf_keys');
    expect(Number(row!.count)).toBe(1);
    const [sealed] = await sql<{ private_sealed: string }>(cluster, 'SELECT private_sealed FROM ssf_keys');
    expect(sealed!.private_sealed.startsWith('v1:')).toBe(true);
    expect(sealed!.private_sealed).not.toContain('"d"');
  });
});
