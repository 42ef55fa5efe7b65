import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine';
import type { Benchmark } from './report';
import { LATEST_RESULTS, mergeResults } from './results-file';
import { renderResults } from './table';

/** No script may outlive this: a hung wait somewhere must not hang CI or a terminal. */
const SCRIPT_TIME_LIMIT_MS = 8 * 60_000;

interface CommandLine {
  quick: boolean;
  /** Results file to merge into: bench/results/latest.json for full runs, none for --quick unless given. */
  out?: string;
}

function parseCommandLine(argv: string[]): CommandLine {
  const { values } = parseArgs({
    args: argv,
    options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } },
    allowPositionals: false,
  });
  const quick = values.quick ?? false;
  const out = values.out ? resolve(values.out) : quick ? undefined : LATEST_RESULTS;
  if (quick && out === LATEST_RESULTS) throw new Error('--quick results are not kept in bench/results/latest.json');
  return { quick, out };
}

/** `node -r @swc/register bench/<name>.ts [--quick] [--out file]`: runs, prints the table, records it, exits. */
export function runFromCommandLine(benchmark: Benchmark): void {
  const watchdog = setTimeout(() => {
    console.error(`[${benchmark.name}] still running after ${SCRIPT_TIME_LIMIT_MS / 1000} s; giving up`);
    process.exit(2);
  }, SCRIPT_TIME_LIMIT_MS);
  watchdog.unref();

  const main = async () => {
    const commandLine = parseCommandLine(process.argv.slice(2));
    const log = (line: string) => console.error(`[${benchmark.name}] ${line}`);
    log(commandLine.quick ? 'quick smoke run (figures are not meaningful)' : 'full run');
    const result = await benchmark.run({ quick: commandLine.quick, log });
    console.log(`\n${benchmark.title}${result.quick ? ' (quick)' : ''}\n`);
    console.log(renderResults([result]));
    if (commandLine.out) {
      mergeResults(commandLine.out, await describeMachine(), [result]);
      log(`recorded in ${commandLine.out}`);
    }
  };

  main().then(
    () => {
      // Everything was closed; if a library still holds a handle, do not wait on it forever.
      setTimeout(() => process.exit(0), 2000).unref();
    },
    (err: unknown) => {
      console.error(`[${benchmark.name}] failed:`, err);
      process.exit(1);
    },
  );
}
