import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine } from './lib/machine';
import type { BenchmarkResult } from './lib/report';
import { LATEST_RESULTS, mergeResults, readResults } from './lib/results-file';
import { formatGoal, renderResults } from './lib/table';

/** Cheapest first, so a broken setup fails fast. */
export const BENCHMARK_SCRIPTS = ['token-check', 'revocation-latency', 'fan-out', 'read-throughput', 'idle-sockets', 'ssf-delivery'] as const;

/** Per script, above each script's own 8-minute limit: on a loaded machine idle-sockets alone (10,000 sessions seeded) took over 5 minutes. */
const SCRIPT_TIME_LIMIT_MS = 9 * 60_000;

/**
 * Runs every benchmark script in a process of its own (no state, handles or heap carried from
 * one to the next), then writes their results together into bench/results/latest.json.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
  const quick = values.quick ?? false;
  const names = values.only ? values.only.split(',') : [...BENCHMARK_SCRIPTS];
  const unknown = names.filter((name) => !(BENCHMARK_SCRIPTS as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARK_SCRIPTS.join(', ')}`);

  const scratch = mkdtempSync(join(tmpdir(), 'signoff-bench-'));
  const results: BenchmarkResult[] = [];
  const failed: string[] = [];
  try {
    for (const name of names) {
      const out = join(scratch, `${name}.json`);
      const code = await runScript(name, ['--out', out, ...(quick ? ['--quick'] : [])]);
      const result = readResults(out)?.benchmarks[name];
      if (code !== 0 || !result) failed.push(name);
      else results.push(result);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  console.log(`\n=== All benchmarks${quick ? ' (quick)' : ''} ===\n`);
  console.log(renderResults(results));
  if (!quick && results.length) {
    mergeResults(LATEST_RESULTS, await describeMachine(), results);
    console.log(`\nRecorded in ${LATEST_RESULTS}`);
  }
  const missed = results.flatMap((result) => result.goals.filter((check) => !check.met).map((check) => `${result.name}: ${formatGoal(check)}`));
  if (missed.length) console.log(`\n${missed.length} goal(s) missed (see bench/README.md for what limits them).`);
  if (failed.length) {
    console.error(`\nFailed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

function runScript(name: string, args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', '@swc/register', join(__dirname, `${name}.ts`), ...args], {
      cwd: join(__dirname, '..'),
      stdio: 'inherit',
    });
    const timer = setTimeout(() => {
      console.error(`[run-all] ${name} exceeded ${SCRIPT_TIME_LIMIT_MS / 1000} s; stopping it`);
      child.kill('SIGKILL');
    }, SCRIPT_TIME_LIMIT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('[run-all] failed:', err);
    process.exit(1);
  });
}
