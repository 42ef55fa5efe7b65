import type { RunningServer } from '../../src/server';
import { loopbackAddresses, waitForSubscriptions, wsUrlOf } from './cluster';
import { mapWithConcurrency } from './concurrency';
import { seedAccounts, type SeededSession } from './seed';
import { TerminationSubscriber } from './subscriber';

/** A session to revoke and its account's own session, which revokes it. */
export interface RevocationTarget {
  owner: SeededSession;
  victim: SeededSession;
}

/**
 * Seeds `total` sessions to revoke (on `seeder`, `sessionsPerAccount` to an account) and connects
 * one sessionTerminated subscriber per session to `subscribedOn`, in the same order, returning once
 * that instance holds every subscription. Each subscriber is pushed to `subscribers` as it connects,
 * so the caller's cleanup closes them whatever happens.
 */
export async function subscribedRevocationTargets(
  seeder: RunningServer,
  subscribedOn: RunningServer,
  options: { total: number; sessionsPerAccount: number; subscribers: TerminationSubscriber[] },
): Promise<RevocationTarget[]> {
  const { total, sessionsPerAccount, subscribers } = options;
  const accounts = await seedAccounts(seeder.services, { accounts: Math.ceil(total / sessionsPerAccount), sessionsPerAccount });
  const targets = accounts.flatMap((account) => account.others.map((victim) => ({ owner: account.owner, victim }))).slice(0, total);
  const addresses = loopbackAddresses(4);
  subscribers.push(
    ...(await mapWithConcurrency(targets, 20, async ({ victim }, i) => {
      const subscriber = await TerminationSubscriber.connect(wsUrlOf(subscribedOn), victim.token, { localAddress: addresses[i % addresses.length] });
      subscriber.subscribe();
      return subscriber;
    })),
  );
  await waitForSubscriptions([subscribedOn], total, 30_000);
  return targets;
}
