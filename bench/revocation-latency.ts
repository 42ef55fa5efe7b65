import { performance } from 'node:perf_hooks';
import type { SessionEventHub } from '../src/sessions/session-event-hub.service';
import { RevokeSessionDocument } from '../test/generated/graphql';
import { startBenchCluster } from './lib/cluster';
import { runFromCommandLine } from './lib/cli';
import { dataOf, keepAliveAgent, timedGraphql } from './lib/http';
import { startBareApollo, NOOP_MUTATION } from './lib/bare-apollo';
import { DurableCommit } from './lib/durable-commit';
import { RedisRoundTrip } from './lib/redis-round-trip';
import { comparedWith, goal, rowOf, type Benchmark, type BenchmarkResult, type ResultRow, type RunOptions } from './lib/report';
import { subscribedRevocationTargets } from './lib/revocation-targets';
import { round } from './lib/stats';
import { TerminationSubscriber } from './lib/subscriber';
import { within } from './lib/wait';

const SESSIONS_PER_ACCOUNT = 25;

interface Sample {
  redisRoundTrip: number;
  /** Floors, sampled just before each revocation: what any revoke-then-tell path must at least cost. */
  bareMutation: number;
  durableCommit: number;
  publishAfterSend: number;
  eventAfterPublish: number;
  mutationRoundTrip: number;
  eventAfterSend: number;
  closeAfterSend: number;
  eventAfterReturn: number;
  closeAfterReturn: number;
}

/**
 * Issue 1's promise across instances: a session revoked through instance A is told and
 * disconnected on instance B. One revocation at a time, each against a fresh subscriber, with a
 * raw Redis round trip measured just before it so both see the same machine. Next to it, the two
 * other floors of a revocation (issue 8): a bare Apollo no-op mutation round trip (same HTTP stack,
 * in this process too) and a durable one-row commit; revoke -> event is judged against their sum.
 */
async function run({ quick, log = () => undefined }: RunOptions): Promise<BenchmarkResult> {
  const startedAt = new Date();
  const measured = quick ? 6 : 500;
  const warmup = quick ? 2 : 30;
  const total = measured + warmup;

  const cluster = await startBenchCluster(2);
  const [a, b] = cluster.instances as [(typeof cluster.instances)[0], (typeof cluster.instances)[0]];
  const roundTrip = await RedisRoundTrip.open(cluster.config.redisUrl as string, `${cluster.config.redisPrefix}bench:round-trip`);
  const commit = await DurableCommit.open(cluster.config.databaseUrl as string, cluster.config.databaseSchema as string);
  const bare = await startBareApollo();
  const subscribers: TerminationSubscriber[] = [];
  try {
    log(`seeding ${total} sessions to revoke, each with a sessionTerminated subscriber on instance B`);
    const targets = await subscribedRevocationTargets(a, b, { total, sessionsPerAccount: SESSIONS_PER_ACCOUNT, subscribers });

    const publishedAt = stampPublishes(a.services.hub);
    log(`revoking ${total} sessions one by one on instance A (${warmup} warm-up)`);
    const samples: Sample[] = [];
    for (const [i, { owner, victim }] of targets.entries()) {
      const subscriber = subscribers[i] as TerminationSubscriber;
      const redisRoundTrip = await roundTrip.sample();
      const noop = await timedGraphql<{ noop: boolean }, undefined>(bare.url, NOOP_MUTATION, undefined);
      if (noop.data?.noop !== true) throw new Error(`bare no-op mutation answered ${JSON.stringify(noop)}`);
      const durableCommit = await commit.sample();
      const response = await timedGraphql(a.url, RevokeSessionDocument, { id: victim.id }, { token: owner.token });
      const revoked = dataOf(response).revokeSession.revokedSessionIds;
      if (revoked.length !== 1 || revoked[0] !== victim.id) throw new Error(`revokeSession ended ${JSON.stringify(revoked)}`);
      const event = await within(subscriber.terminated.promise, 10_000, 'sessionTerminated');
      const close = await within(subscriber.closed.promise, 10_000, 'the socket to close');
      if (event.value.sessionId !== victim.id || event.value.reason !== 'REVOKED') throw new Error(`unexpected event ${JSON.stringify(event.value)}`);
      if (close.value.code !== 4401) throw new Error(`socket closed with ${close.value.code} ${close.value.reason}`);
      if (i < warmup) continue;
      const published = publishedAt.get(victim.id);
      if (published === undefined) throw new Error('the revocation was never published');
      samples.push({
        redisRoundTrip,
        bareMutation: noop.returnedAt - noop.sentAt,
        durableCommit,
        publishAfterSend: published - response.sentAt,
        eventAfterPublish: event.at - published,
        mutationRoundTrip: response.returnedAt - response.sentAt,
        eventAfterSend: event.at - response.sentAt,
        closeAfterSend: close.at - response.sentAt,
        eventAfterReturn: event.at - response.returnedAt,
        closeAfterReturn: close.at - response.returnedAt,
      });
    }

    const column = (key: keyof Sample) => samples.map((sample) => sample[key]);
    const baseline = rowOf('Redis PUBLISH -> ioredis subscriber', 'ms', column('redisRoundTrip'));
    const eventAfterSend = comparedWith(rowOf('send -> sessionTerminated received (a)', 'ms', column('eventAfterSend')), baseline);
    const closeAfterSend = comparedWith(rowOf('send -> socket closed 4401 (b)', 'ms', column('closeAfterSend')), baseline);
    const bareMutation = rowOf('floor: bare Apollo no-op mutation round trip', 'ms', column('bareMutation'));
    const durableCommit = rowOf('floor: durable one-row commit (pg)', 'ms', column('durableCommit'));
    const floorSum = sumOf('floor sum: no-op mutation + durable commit + Redis hop', [bareMutation, durableCommit, baseline]);
    const rows = [
      baseline,
      bareMutation,
      durableCommit,
      floorSum,
      eventAfterSend,
      closeAfterSend,
      comparedWith({ ...eventAfterSend, metric: 'send -> sessionTerminated received (a), over the floor sum' }, floorSum),
      comparedWith(rowOf('send -> mutation response', 'ms', column('mutationRoundTrip')), baseline),
      comparedWith(rowOf('  split: send -> instance A publishes the ending', 'ms', column('publishAfterSend')), baseline),
      comparedWith(rowOf('  split: A publishes -> sessionTerminated received', 'ms', column('eventAfterPublish')), baseline),
      comparedWith(rowOf('mutation returned -> sessionTerminated received', 'ms', column('eventAfterReturn')), baseline),
      comparedWith(rowOf('mutation returned -> socket closed 4401', 'ms', column('closeAfterReturn')), baseline),
    ];
    return {
      name: 'revocation-latency',
      title: 'Revocation latency across instances (revoke on A, subscriber on B)',
      quick,
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
      parameters: { instances: 2, revocations: measured, warmupRevocations: warmup, sessionsPerAccount: SESSIONS_PER_ACCOUNT + 1 },
      rows,
      goals: [
        goal('p99 of (a) send -> sessionTerminated, over p99 of the Redis round trip', eventAfterSend.ratio?.p99 ?? Number.NaN, '<=', 3, 'x'),
        goal('p99 of (b) send -> socket closed, over p99 of the Redis round trip', closeAfterSend.ratio?.p99 ?? Number.NaN, '<=', 5, 'x'),
        goal("p99 of (a) send -> sessionTerminated, over the floor sum's p99", eventAfterSend.p99 / floorSum.p99, '<=', 2, 'x'),
      ],
      notes: [
        'Servers, subscribers and the revoking HTTP client share this process; Postgres and Redis are local.',
        '"mutation returned -> ..." is negative when the event arrived before the HTTP response.',
        'Floors are sampled one after the other just before each revocation; the floor sum adds their percentiles (p99 + p99 + p99): what a revocation would cost if it were nothing but those three steps, one after the other.',
        'The two "split" rows cut (a) where instance A hands the committed ending to the bus (hub.publish, stamped from outside).',
      ],
    };
  } finally {
    await Promise.all(subscribers.map((subscriber) => subscriber.dispose()));
    await roundTrip.close();
    await commit.close();
    await bare.stop();
    keepAliveAgent.destroy();
    await cluster.dispose();
  }
}

/** A row whose percentiles are the sums of the rows' percentiles (not the percentiles of a sum). */
function sumOf(metric: string, rows: ResultRow[]): ResultRow {
  const total = (key: 'p50' | 'p95' | 'p99') => round(rows.reduce((sum, row) => sum + row[key], 0));
  return { metric, unit: 'ms', n: Math.min(...rows.map((row) => row.n)), p50: total('p50'), p95: total('p95'), p99: total('p99') };
}

/** Stamps when instance A hands each ending to the bus, by session id: where the database work ends and delivery begins. */
function stampPublishes(hub: SessionEventHub): Map<string, number> {
  const stamps = new Map<string, number>();
  const publish = hub.publish.bind(hub);
  hub.publish = (event) => {
    if (event.type === 'SESSIONS_ENDED') for (const id of event.sessionIds) stamps.set(id, performance.now());
    return publish(event);
  };
  return stamps;
}

export const benchmark: Benchmark = { name: 'revocation-latency', title: 'Revocation latency across instances', run };

if (require.main === module) runFromCommandLine(benchmark);
