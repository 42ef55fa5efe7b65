import { performance } from 'node:perf_hooks';
import { ChildServer, type ServerRuntime } from './lib/child-server';
import { loopbackAddresses } from './lib/cluster';
import { runFromCommandLine } from './lib/cli';
import { mapWithConcurrency } from './lib/concurrency';
import { comparedWith, goal, rowOf, singleValueRow, type Benchmark, type BenchmarkResult, type ResultRow, type RunOptions } from './lib/report';
import type { SeededAccount } from './lib/seed';
import { dropBenchStores, newBenchStores, serverEnvironment, type BenchStores } from './lib/stores';
import { TerminationSubscriber } from './lib/subscriber';
import { waitUntil } from './lib/wait';

const GIB = 2 ** 30;
const KIB = 1024;
const MIB = 2 ** 20;
/** Sockets being opened at once: enough to keep the server busy, few enough not to time out. */
const CONNECTING_AT_ONCE = 100;

interface HoldingFigures {
  /** ms from the first connect to the server holding every subscription. */
  acceptMs: number;
  /** Per socket: ms from its connect to connection_ack. */
  ackMs: number[];
  rssBefore: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
}

/**
 * Many idle, subscribed graphql-ws sockets on one instance: what each costs the server in memory,
 * and how long it takes to accept them all. The server runs in a child process (its RSS is then
 * its own); the clients run here, spread over several 127.0.0.x source addresses. Baseline: the
 * same clients against a bare `ws` server that only acks and counts.
 */
async function run({ quick, log = () => undefined }: RunOptions): Promise<BenchmarkResult> {
  const startedAt = new Date();
  const sockets = quick ? 100 : 10_000;
  const accounts = quick ? 2 : 100;
  const addresses = loopbackAddresses(quick ? 2 : 8);

  log(`bare ws server: ${sockets} sockets`);
  const bare = await holdSockets('bare-ws-server.ts', {}, undefined, sockets, addresses, log);

  const stores = newBenchStores();
  let ours: HoldingFigures;
  const started: Record<ServerRuntime, number> = { compiled: Number.NaN, swc: Number.NaN };
  try {
    log(`signoff: ${sockets} sockets, each its own session (${accounts} accounts)`);
    ours = await holdSockets('signoff-server.ts', serverEnvironment(stores), stores, sockets, addresses, log, accounts);
    // The same server on the same (migrated, seeded) stores, just started: as `npm start` runs it, and under @swc/register.
    // Not in the smoke run: two more server starts would double its time on a loaded machine.
    for (const runtime of quick ? [] : (['compiled', 'swc'] as const)) {
      log(`signoff just started (${runtime}): memory`);
      started[runtime] = await rssJustStarted(serverEnvironment(stores), runtime);
    }
  } finally {
    await dropBenchStores(stores);
  }

  const perSocket = (figures: HoldingFigures, key: 'rss' | 'heap') =>
    (key === 'rss' ? figures.rssAfter - figures.rssBefore : figures.heapAfter - figures.heapBefore) / sockets / KIB;
  const bareRss = singleValueRow('bare ws: server RSS per socket', 'KiB', perSocket(bare, 'rss'), sockets);
  const bareHeap = singleValueRow('bare ws: server JS heap per socket', 'KiB', perSocket(bare, 'heap'), sockets);
  const bareAccept = singleValueRow(`bare ws: time to accept ${sockets} sockets`, 's', bare.acceptMs / 1000);
  const bareAck = rowOf('bare ws: connect -> ack, per socket', 'ms', bare.ackMs);
  const oursTotal = ours.rssAfter;
  const rows: ResultRow[] = [
    bareRss,
    bareHeap,
    bareAccept,
    bareAck,
    comparedWith(singleValueRow('signoff: server RSS per socket', 'KiB', perSocket(ours, 'rss'), sockets), bareRss),
    comparedWith(singleValueRow('signoff: server JS heap per socket', 'KiB', perSocket(ours, 'heap'), sockets), bareHeap),
    comparedWith(singleValueRow(`signoff: time to accept ${sockets} sockets`, 's', ours.acceptMs / 1000), bareAccept),
    comparedWith(rowOf('signoff: connect -> ack, per socket', 'ms', ours.ackMs), bareAck),
    singleValueRow(`signoff: server RSS holding ${sockets} sockets (total)`, 'MiB', oursTotal / MIB),
    singleValueRow(`signoff: server RSS before the first socket (${sockets} sessions seeded)`, 'MiB', ours.rssBefore / MIB),
    ...(quick
      ? []
      : [
          singleValueRow('signoff just started, compiled build (npm start): RSS', 'MiB', started.compiled / MIB),
          singleValueRow('signoff just started, under @swc/register: RSS', 'MiB', started.swc / MIB),
        ]),
  ];
  return {
    name: 'idle-sockets',
    title: `${sockets} idle subscribed graphql-ws sockets on one instance`,
    quick,
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    parameters: { sockets, accounts, sourceAddresses: addresses.length, connectingAtOnce: CONNECTING_AT_ONCE },
    rows,
    goals: [
      goal(`server RSS with ${sockets} sockets (whole process, not just the delta)`, oursTotal / GIB, '<', 1, 'GiB'),
      goal(`server RSS added by ${sockets} sockets, scaled to 10,000`, (((ours.rssAfter - ours.rssBefore) / sockets) * 10_000) / GIB, '<', 1, 'GiB'),
      goal('server RSS before the first socket (compiled build, sessions seeded)', ours.rssBefore / MIB, '<=', 150, 'MiB'),
    ],
    notes: [
      `signoff server RSS ${Math.round(ours.rssBefore / MIB)} MiB before the sockets, ${Math.round(ours.rssAfter / MIB)} MiB after.`,
      'The signoff server runs compiled (tsc, as `npm start`); the "just started" rows (full runs only) start it again on the same stores, once compiled and once under @swc/register, and read its memory before any request.',
      'Memory is read after two forced collections (--expose-gc) and a short settle; "per socket" rows are (after - before) / sockets.',
    ],
  };
}

/** RSS of a signoff server right after it is ready, before any request (after forced collections). */
async function rssJustStarted(env: Record<string, string>, runtime: ServerRuntime): Promise<number> {
  const server = await ChildServer.start('signoff-server.ts', { env, nodeOptions: ['--expose-gc'], runtime });
  try {
    return (await server.memory()).rss;
  } finally {
    await server.stop(30_000);
  }
}

async function holdSockets(
  script: string,
  env: Record<string, string>,
  stores: BenchStores | undefined,
  count: number,
  addresses: string[],
  log: (line: string) => void,
  accounts = 1,
): Promise<HoldingFigures> {
  const server = await ChildServer.start(script, { env, nodeOptions: ['--expose-gc'], runtime: 'compiled' });
  const subscribers: TerminationSubscriber[] = [];
  try {
    let tokens: string[];
    if (stores) {
      const seeded = await server.request<SeededAccount[]>('seed', { accounts, sessionsPerAccount: Math.ceil(count / accounts), concurrency: 16 }, 300_000);
      tokens = seeded.flatMap((account) => account.others.map((session) => session.token)).slice(0, count);
    } else {
      tokens = Array.from({ length: count }, () => 'so_unused-by-the-bare-server');
    }
    const before = await server.memory();
    const wsUrl = server.url.replace(/^http/, 'ws');

    const started = performance.now();
    const ackMs = await mapWithConcurrency(tokens, CONNECTING_AT_ONCE, async (token, i) => {
      const subscriber = await TerminationSubscriber.connect(wsUrl, token, { localAddress: addresses[i % addresses.length], timeoutMs: 30_000 });
      subscribers.push(subscriber);
      subscriber.subscribe();
      if ((i + 1) % 2000 === 0) log(`${i + 1} connected`);
      return (await subscriber.acknowledged.promise) - subscriber.connectStartedAt;
    });
    const counts = () => server.request<{ subscriptions: number }>('counts');
    await waitUntil(async () => (await counts()).subscriptions >= count, `${count} subscriptions on the server`, 60_000, 50);
    const acceptMs = performance.now() - started;

    const after = await server.memory();
    return { acceptMs, ackMs, rssBefore: before.rss, rssAfter: after.rss, heapBefore: before.heapUsed, heapAfter: after.heapUsed };
  } finally {
    await mapWithConcurrency(subscribers, 500, (subscriber) => subscriber.dispose());
    await server.stop(30_000);
  }
}

export const benchmark: Benchmark = { name: 'idle-sockets', title: 'Idle subscribed sockets', run };

if (require.main === module) runFromCommandLine(benchmark);
