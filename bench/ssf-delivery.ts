import { performance } from 'node:perf_hooks';
import { TerminationReason } from '../src/sessions/session.entity';
import { ServiceScope } from '../src/service-clients/service-client.entity';
import { RevokeSessionDocument } from '../test/generated/graphql';
import { startCluster } from '../test/support/cluster';
import { originOf, serviceClient, ssfCall, TestReceiver, type ReceivedSet } from '../test/support/ssf';
import { runFromCommandLine } from './lib/cli';
import { mapWithConcurrency } from './lib/concurrency';
import { dataOf, keepAliveAgent, timedGraphql } from './lib/http';
import { comparedWith, goal, rowOf, singleValueRow, type Benchmark, type BenchmarkResult, type RunOptions } from './lib/report';
import { subscribedRevocationTargets } from './lib/revocation-targets';
import { seedAccounts } from './lib/seed';
import { TerminationSubscriber } from './lib/subscriber';
import { within } from './lib/wait';

const SESSIONS_PER_ACCOUNT = 25;
const sessionOf = (set: ReceivedSet) => (set.claims.sub_id as { session?: { id?: string } }).session?.id;

/**
 * Issue 10: how soon an app back-end hears of an ending, beside how soon the device does.
 * Two instances; each session revoked on A (revokeSession over HTTP) has a graphql-ws subscriber
 * on B and a push stream to a receiver in this process that verifies each SET's signature before
 * answering 202. Then the durability run: many endings (through SessionTerminator.end, 16 at a
 * time) while the receiver is stopped and restarted twice; every session must arrive exactly once.
 */
async function run({ quick, log = () => undefined }: RunOptions): Promise<BenchmarkResult> {
  const startedAt = new Date();
  const measured = quick ? 6 : 300;
  const warmup = quick ? 2 : 20;
  const costSamples = quick ? 10 : 300;
  const bulk = quick ? 200 : 10_000;
  const total = measured + warmup;

  const cluster = await startCluster({
    backend: 'postgres',
    count: 2,
    env: { STEP_UP_WINDOW_SECONDS: '3600', SSF_ALLOW_PRIVATE_RECEIVERS: 'true', SSF_PUSH_RETRY_BASE_MS: '100', SSF_PUSH_RETRY_MAX_MS: '1000' },
  });
  const [a, b] = cluster.instances as [(typeof cluster.instances)[0], (typeof cluster.instances)[0]];
  const receiver = await TestReceiver.start(originOf(a.url));
  const subscribers: TerminationSubscriber[] = [];
  try {
    // What a stream costs an ending: the same ending with no stream, then with one.
    log(`seeding ${2 * costSamples} sessions for the cost of an ending with and without a stream`);
    const costAccounts = await seedAccounts(a.services, { accounts: Math.ceil((2 * costSamples) / 100), sessionsPerAccount: 100 });
    const costTargets = costAccounts.flatMap((account) => account.others.map((session) => ({ userId: account.userId, id: session.id }))).slice(0, 2 * costSamples);
    const endOne = async (target: { userId: string; id: string }) => {
      const started = performance.now();
      await a.services.terminator.end({ userId: target.userId, target: { sessionIds: [target.id] }, reason: TerminationReason.REVOKED, actor: null, client: null });
      return performance.now() - started;
    };
    const withoutStream: number[] = [];
    for (const target of costTargets.slice(0, costSamples)) withoutStream.push(await endOne(target));

    const client = await serviceClient(a, [ServiceScope.SSF_MANAGE, ServiceScope.SSF_READ], 'bench receiver');
    const created = await ssfCall(a, client.accessToken, 'POST', '/ssf/streams', { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: receiver.url } });
    if (created.status !== 201) throw new Error(`stream creation answered ${created.status}`);
    const streamId = String(created.body.stream_id);
    const withStream: number[] = [];
    for (const target of costTargets.slice(costSamples)) withStream.push(await endOne(target));

    log(`seeding ${total} sessions to revoke, each with a subscriber on B`);
    const targets = await subscribedRevocationTargets(a, b, { total, sessionsPerAccount: SESSIONS_PER_ACCOUNT, subscribers });

    log(`revoking ${total} sessions one by one on A (${warmup} warm-up)`);
    const setAfterReturn: number[] = [];
    const eventAfterReturn: number[] = [];
    const mutationRoundTrip: number[] = [];
    for (const [i, { owner, victim }] of targets.entries()) {
      const arrived = receiver.waitForSet((set) => sessionOf(set) === victim.id);
      const response = await timedGraphql(a.url, RevokeSessionDocument, { id: victim.id }, { token: owner.token });
      if (dataOf(response).revokeSession.revokedSessionIds[0] !== victim.id) throw new Error('revokeSession ended something else');
      const [set, event] = await Promise.all([arrived, within((subscribers[i] as TerminationSubscriber).terminated.promise, 10_000, 'sessionTerminated')]);
      if (i < warmup) continue;
      setAfterReturn.push(set.receivedAt - response.returnedAt);
      eventAfterReturn.push(event.at - response.returnedAt);
      mutationRoundTrip.push(response.returnedAt - response.sentAt);
    }

    log(`durability: ${bulk} endings while the receiver is restarted twice`);
    const bulkAccounts = await seedAccounts(a.services, { accounts: Math.ceil(bulk / 100), sessionsPerAccount: 100, concurrency: 16 });
    const bulkTargets = bulkAccounts.flatMap((account) => account.others.map((session) => ({ userId: account.userId, id: session.id }))).slice(0, bulk);
    const expected = new Set(bulkTargets.map((target) => target.id));
    const bulkStarted = performance.now();
    // One restart after the other, however fast the endings go.
    let restarts = Promise.resolve();
    let issued = 0;
    await mapWithConcurrency(bulkTargets, 16, async (target) => {
      await endOne(target);
      issued++;
      if (issued === Math.floor(bulk / 3) || issued === Math.floor((2 * bulk) / 3)) {
        restarts = restarts.then(async () => {
          await receiver.close();
          await new Promise((resolve) => setTimeout(resolve, 2000));
          await receiver.reopen();
        });
      }
    });
    const endedAt = performance.now();
    await restarts;
    const received = () => receiver.sets.filter((set) => expected.has(sessionOf(set) ?? ''));
    const deadline = performance.now() + 5 * 60_000;
    while (new Set(received().map(sessionOf)).size < expected.size && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const drainedAt = performance.now();
    const got = received();
    const unique = new Set(got.map(sessionOf)).size;
    const lost = expected.size - unique;
    const duplicates = got.length - unique;
    const [retried] = await a.services.dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM ssf_deliveries WHERE stream_id = $1 AND outcome = 'retry'`, [streamId]);
    const retriesSeen = Number(retried?.n ?? 0);

    const sessionTerminated = rowOf('mutation returned -> sessionTerminated received on B', 'ms', eventAfterReturn);
    // Beside, not over, the sessionTerminated figure: that one is near zero or negative (the event often beats the HTTP response).
    const setAccepted = rowOf('mutation returned -> SET accepted by the receiver', 'ms', setAfterReturn);
    const costBaseline = rowOf('SessionTerminator.end, no SSF stream', 'ms', withoutStream);
    return {
      name: 'ssf-delivery',
      title: 'SSF: revoking mutation -> CAEP session-revoked SET accepted by a receiver',
      quick,
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
      parameters: { instances: 2, revocations: measured, warmupRevocations: warmup, bulkEndings: bulk, receiverRestarts: 2 },
      rows: [
        sessionTerminated,
        setAccepted,
        rowOf('send -> mutation response', 'ms', mutationRoundTrip),
        costBaseline,
        comparedWith(rowOf('SessionTerminator.end, one push stream', 'ms', withStream), costBaseline),
        singleValueRow('durability: endings', 'endings', bulk),
        singleValueRow('durability: SETs lost', 'SETs', lost),
        singleValueRow('durability: SETs delivered twice', 'SETs', duplicates),
        singleValueRow('durability: last ending -> every SET accepted', 's', (drainedAt - endedAt) / 1000),
        singleValueRow('durability: SETs accepted per second (whole run)', 'SETs/s', unique / ((drainedAt - bulkStarted) / 1000)),
        singleValueRow('durability: failed pushes (retried later), from the delivery log', 'pushes', retriesSeen),
      ],
      goals: [
        goal('p99 of mutation returned -> SET accepted', setAccepted.p99, '<', 1000, 'ms'),
        goal(`SETs lost over ${bulk} endings with the receiver restarted twice`, lost, '<=', 0, 'SETs'),
      ],
      notes: [
        'The receiver verifies each SET (RS256, JWKS fetched once) before answering 202; it runs in this process, like the subscribers.',
        'Durability endings go through SessionTerminator.end directly (16 at a time), not HTTP; each restart stops the receiver for 2 s (connections refused).',
        'One stream, so SETs go out one at a time in order; "delivered twice" counts what the receiver saw again (at-least-once, deduplicated by jti).',
      ],
    };
  } finally {
    await Promise.all(subscribers.map((subscriber) => subscriber.dispose()));
    keepAliveAgent.destroy();
    await cluster.dispose();
    await receiver.close().catch(() => undefined);
  }
}

export const benchmark: Benchmark = { name: 'ssf-delivery', title: 'SSF delivery latency and durability', run };

if (require.main === module) runFromCommandLine(benchmark);
