import type { RunningServer } from '../../src/server';
import { startCluster, type TestCluster } from '../../test/support/cluster';
import { waitUntil } from './wait';

export type { TestCluster };

/**
 * Instances in this process sharing one Postgres schema and one Redis prefix, like replicas
 * behind a load balancer (test/support/cluster.ts's cluster, reused as is).
 */
export function startBenchCluster(count: number): Promise<TestCluster> {
  // Revoking needs a recent confirmation; seeded sessions confirm at sign-in, and a slow run must not outlast the window.
  // Every benchmark client connects from loopback, so the per-address socket cap would refuse all but the first 200.
  return startCluster({ backend: 'postgres', count, env: { STEP_UP_WINDOW_SECONDS: '3600', WS_MAX_SOCKETS_PER_IP: '1000000' } });
}

export function wsUrlOf(instance: RunningServer): string {
  return instance.url.replace(/^http/, 'ws');
}

function subscriptionsOn(instances: RunningServer[]): number {
  return instances.reduce((sum, instance) => sum + instance.services.hub.subscriptionCount(), 0);
}

/** graphql-ws acknowledges nothing when a subscription starts: wait until the servers hold them all. */
export function waitForSubscriptions(instances: RunningServer[], expected: number, timeoutMs: number): Promise<void> {
  return waitUntil(() => subscriptionsOn(instances) >= expected, `${expected} subscriptions to register`, timeoutMs, 10);
}

/** Loopback source addresses to spread client sockets over, so no single address runs out of ephemeral ports. */
export function loopbackAddresses(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.0.${i + 2}`);
}
