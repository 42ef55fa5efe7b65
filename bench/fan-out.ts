import { RevokeOtherSessionsDocument } from '../test/generated/graphql';
import { measureBareFanOut } from './lib/bare-fan-out';
import { loopbackAddresses, startBenchCluster, waitForSubscriptions, wsUrlOf } from './lib/cluster';
import { runFromCommandLine } from './lib/cli';
import { mapWithConcurrency } from './lib/concurrency';
import { dataOf, keepAliveAgent, timedGraphql } from './lib/http';
import { comparedWith, rowOf, type Benchmark, type BenchmarkResult, type RunOptions } from './lib/report';
import { seedAccounts } from './lib/seed';
import { TerminationSubscriber } from './lib/subscriber';
import { within } from './lib/wait';
import { profileWindow } from './lib/window-profile';

/**
 * revokeOtherSessions on an account with many live sessions, every one of them subscribed,
 * half on each instance: how long until the last device was told and disconnected. Each round
 * is followed by the same fan-out over bare `ws` servers and Redis (the baseline).
 */
async function run({ quick, log = () => undefined }: RunOptions): Promise<BenchmarkResult> {
  const startedAt = new Date();
  const sessions = quick ? 20 : 1000;
  const rounds = quick ? 1 : 3;
  const addresses = loopbackAddresses(4);

  const cluster = await startBenchCluster(2);
  const instances = cluster.instances;
  const [a] = instances as [(typeof instances)[0]];
  const ours = { event: [] as number[], close: [] as number[], lastEvent: [] as number[], lastClose: [] as number[], mutation: [] as number[] };
  const bare = { message: [] as number[], close: [] as number[], lastMessage: [] as number[], lastClose: [] as number[] };
  try {
    for (let round = 1; round <= rounds; round++) {
      log(`round ${round}/${rounds}: opening ${sessions} sessions on one account`);
      const [account] = await seedAccounts(a.services, { accounts: 1, sessionsPerAccount: sessions, concurrency: 8 });
      if (!account) throw new Error('no account seeded');

      log(`round ${round}/${rounds}: subscribing them, alternating between the two instances`);
      const subscribers = await mapWithConcurrency(account.others, 50, async (session, i) => {
        const instance = instances[i % instances.length] as (typeof instances)[0];
        const subscriber = await TerminationSubscriber.connect(wsUrlOf(instance), session.token, { localAddress: addresses[i % addresses.length] });
        subscriber.subscribe();
        return subscriber;
      });
      try {
        await waitForSubscriptions(instances, sessions, 60_000);

        log(`round ${round}/${rounds}: revokeOtherSessions on instance A`);
        const { response, events, closes } = await profileWindow(`fan-out-round-${round}`, async () => {
          const response = await timedGraphql(a.url, RevokeOtherSessionsDocument, {}, { token: account.owner.token, timeoutMs: 60_000 });
          const events = await within(Promise.all(subscribers.map((s) => s.terminated.promise)), 60_000, 'every sessionTerminated');
          const closes = await within(Promise.all(subscribers.map((s) => s.closed.promise)), 60_000, 'every socket to close');
          return { response, events, closes };
        });
        const { revokedCount } = dataOf(response).revokeOtherSessions;
        if (revokedCount !== sessions) throw new Error(`revoked ${revokedCount} of ${sessions}`);
        if (closes.some((close) => close.value.code !== 4401)) throw new Error('a socket closed without 4401');
        const eventTimes = events.map((event) => event.at - response.sentAt);
        const closeTimes = closes.map((close) => close.at - response.sentAt);
        ours.event.push(...eventTimes);
        ours.close.push(...closeTimes);
        ours.lastEvent.push(Math.max(...eventTimes));
        ours.lastClose.push(Math.max(...closeTimes));
        ours.mutation.push(response.returnedAt - response.sentAt);
      } finally {
        await Promise.all(subscribers.map((subscriber) => subscriber.dispose()));
      }

      log(`round ${round}/${rounds}: the same fan-out over bare ws servers and Redis`);
      const times = await measureBareFanOut({
        redisUrl: cluster.config.redisUrl as string,
        channel: `${cluster.config.redisPrefix}bench:bare-fan-out`,
        clients: sessions,
        instances: instances.length,
        localAddresses: addresses,
      });
      bare.message.push(...times.message);
      bare.close.push(...times.close);
      bare.lastMessage.push(Math.max(...times.message));
      bare.lastClose.push(Math.max(...times.close));
    }
  } finally {
    keepAliveAgent.destroy();
    await cluster.dispose();
  }

  const bareMessage = rowOf('bare: PUBLISH -> client got message', 'ms', bare.message);
  const bareClose = rowOf('bare: PUBLISH -> socket closed', 'ms', bare.close);
  const bareLastMessage = rowOf('bare: PUBLISH -> last client got message (per round)', 'ms', bare.lastMessage);
  const bareLastClose = rowOf('bare: PUBLISH -> last socket closed (per round)', 'ms', bare.lastClose);
  const lastClose = comparedWith(rowOf('send -> last socket closed 4401 (per round)', 'ms', ours.lastClose), bareLastClose);
  return {
    name: 'fan-out',
    title: `revokeOtherSessions fan-out to ${sessions} subscribed sessions on 2 instances`,
    quick,
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    parameters: { instances: 2, sessionsRevokedPerRound: sessions, rounds },
    rows: [
      bareMessage,
      bareClose,
      bareLastMessage,
      bareLastClose,
      comparedWith(rowOf('send -> client got sessionTerminated', 'ms', ours.event), bareMessage),
      comparedWith(rowOf('send -> socket closed 4401', 'ms', ours.close), bareClose),
      comparedWith(rowOf('send -> last client got sessionTerminated (per round)', 'ms', ours.lastEvent), bareLastMessage),
      lastClose,
      comparedWith(rowOf('send -> mutation response (per round)', 'ms', ours.mutation), bareLastClose),
    ],
    goals: [], // issue 4 sets no target for fan-out: the figures and their ratios are the record
    notes: [
      'Per-client rows pool every client of every round; "per round" rows have one sample per round.',
      'Baseline: plain ws servers, one Redis PUBLISH, send then close(4401) per socket; no GraphQL, no database.',
    ],
  };
}

export const benchmark: Benchmark = { name: 'fan-out', title: 'Fan-out of revokeOtherSessions', run };

if (require.main === module) runFromCommandLine(benchmark);
