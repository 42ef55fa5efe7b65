import { print } from 'graphql';
import { SessionsDocument } from '../test/generated/graphql';
import { ChildServer } from './lib/child-server';
import { runFromCommandLine } from './lib/cli';
import { dataOf, keepAliveAgent, timedGraphql } from './lib/http';
import { runLoad, type LoadRound, type LoadTarget } from './lib/load';
import { comparedWith, goal, rowOf, singleValueRow, type Benchmark, type BenchmarkResult, type RunOptions } from './lib/report';
import type { SeededAccount } from './lib/seed';
import { profileDir } from './lib/window-profile';
import { dropBenchStores, newBenchStores, serverEnvironment } from './lib/stores';

const OTHER_SESSIONS = 4;

interface Side {
  name: string;
  server: ChildServer;
  target: LoadTarget;
  rounds: LoadRound[];
  /** Fraction of one core the server process used, per round. */
  cpu: number[];
  /** Server CPU microseconds per completed request, per round: steadier than req/s on a shared machine. */
  cpuPerRequest: number[];
}

/**
 * Authenticated reads at fixed concurrency: the `sessions` query with a bearer token against a
 * bare Apollo Server on the same HTTP stack answering a constant. Each server runs in a child
 * process; autocannon runs here. Rounds alternate (bare, ours, ours, bare, ...) so that drift in
 * a noisy machine falls on both sides.
 */
async function run({ quick, log = () => undefined }: RunOptions): Promise<BenchmarkResult> {
  const startedAt = new Date();
  const connections = quick ? 4 : 20;
  const seconds = quick ? 1 : 8;
  const rounds = quick ? 1 : 4;
  const warmupSeconds = quick ? 0 : 3;

  const stores = newBenchStores();
  const servers = await Promise.allSettled([
    ChildServer.start('signoff-server.ts', { env: serverEnvironment(stores), runtime: 'compiled' }),
    ChildServer.start('bare-apollo-server.ts', { runtime: 'compiled' }),
  ]);
  try {
    const [signoff, bare] = servers.map((started) => {
      if (started.status === 'rejected') throw started.reason;
      return started.value;
    }) as [ChildServer, ChildServer];

    const [account] = await signoff.request<SeededAccount[]>('seed', { accounts: 1, sessionsPerAccount: OTHER_SESSIONS });
    if (!account) throw new Error('no account seeded');
    const authorization = `Bearer ${account.owner.token}`;
    const listed = dataOf(await timedGraphql(signoff.url, SessionsDocument, {}, { token: account.owner.token })).sessions;
    if (listed.length !== OTHER_SESSIONS + 1) throw new Error(`sessions listed ${listed.length}, expected ${OTHER_SESSIONS + 1}`);
    keepAliveAgent.destroy();

    const ours: Side = {
      name: 'sessions query (bearer token)',
      server: signoff,
      target: {
        url: signoff.url,
        headers: { authorization },
        body: JSON.stringify({ query: print(SessionsDocument) }),
        verifyBody: (body) => body.startsWith('{"data":{"sessions":[{') && !body.includes('"errors"'),
      },
      rounds: [],
      cpu: [],
      cpuPerRequest: [],
    };
    const baseline: Side = {
      name: 'bare Apollo hello',
      server: bare,
      target: {
        url: bare.url,
        // Same header as ours: the bare server ignores it, but parses and carries it all the same.
        headers: { authorization },
        body: JSON.stringify({ query: '{ hello }' }),
        verifyBody: (body) => body.startsWith('{"data":{"hello":"world"}}'),
      },
      rounds: [],
      cpu: [],
      cpuPerRequest: [],
    };

    if (warmupSeconds > 0) {
      log(`warming up both servers (${warmupSeconds} s each)`);
      for (const side of [baseline, ours]) await runLoad(side.target, { connections, seconds: warmupSeconds });
    }

    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [baseline, ours] : [ours, baseline];
      for (const side of order) {
        log(`round ${round + 1}/${rounds}: ${side.name}, ${connections} connections, ${seconds} s`);
        const profiles = profileDir();
        if (profiles) await side.server.request('profile-start');
        const cpuBefore = await side.server.cpuMicros();
        const result = await runLoad(side.target, { connections, seconds });
        const cpuMicros = (await side.server.cpuMicros()) - cpuBefore;
        if (profiles) await side.server.request('profile-stop', { dir: profiles, name: `read-throughput-${side === ours ? 'signoff' : 'bare'}-round-${round + 1}` });
        side.cpu.push(cpuMicros / 1e6 / result.seconds);
        side.cpuPerRequest.push(cpuMicros / result.requests);
        side.rounds.push(result);
      }
    }

    const rate = (side: Side) => side.rounds.reduce((sum, r) => sum + r.requests, 0) / side.rounds.reduce((sum, r) => sum + r.seconds, 0);
    const perSecond = (side: Side) => side.rounds.flatMap((r) => r.perSecond);
    const latencies = (side: Side) => side.rounds.flatMap((r) => r.latencies);
    const cpu = (side: Side) => side.cpu.reduce((sum, value) => sum + value, 0) / side.cpu.length;

    const bareRate = singleValueRow('bare Apollo hello: requests/s (whole run)', 'req/s', rate(baseline), rounds);
    const bareSeconds = rowOf('bare Apollo hello: requests in each second', 'req/s', perSecond(baseline));
    const bareLatency = rowOf('bare Apollo hello: latency', 'ms', latencies(baseline));
    const bareCpu = rowOf('bare Apollo hello: server CPU per request (per round)', 'us', baseline.cpuPerRequest);
    const oursRate = comparedWith(singleValueRow('sessions: requests/s (whole run)', 'req/s', rate(ours), rounds), bareRate);
    const oursLatency = comparedWith(rowOf('sessions: latency', 'ms', latencies(ours)), bareLatency);
    return {
      name: 'read-throughput',
      title: 'Authenticated read throughput (sessions query vs bare Apollo)',
      quick,
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
      parameters: { connections, secondsPerRound: seconds, roundsPerServer: rounds, sessionsListed: OTHER_SESSIONS + 1 },
      rows: [
        bareRate,
        bareSeconds,
        bareLatency,
        bareCpu,
        oursRate,
        comparedWith(rowOf('sessions: requests in each second', 'req/s', perSecond(ours)), bareSeconds),
        oursLatency,
        comparedWith(rowOf('sessions: server CPU per request (per round)', 'us', ours.cpuPerRequest), bareCpu),
      ],
      goals: [goal('sessions requests/s over bare Apollo requests/s', oursRate.ratio?.p50 ?? Number.NaN, '>=', 0.7, 'x')],
      notes: [
        `Server CPU while loaded: signoff ${Math.round(cpu(ours) * 100)}% of a core, bare Apollo ${Math.round(cpu(baseline) * 100)}% (one Node process each; autocannon and Postgres share the other core).`,
        `p99 latency: sessions ${oursLatency.p99} ms, bare ${bareLatency.p99} ms.`,
        'Percentiles of "requests in each second" are over whole seconds of every round (p50 is the typical second, not the worst).',
      ],
    };
  } finally {
    for (const started of servers) if (started.status === 'fulfilled') await started.value.stop();
    await dropBenchStores(stores);
  }
}

export const benchmark: Benchmark = { name: 'read-throughput', title: 'Authenticated read throughput', run };

if (require.main === module) runFromCommandLine(benchmark);
