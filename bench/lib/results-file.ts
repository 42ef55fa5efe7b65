import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Machine } from './machine';
import type { BenchmarkResult } from './report';

/** The committed record of the last full run. */
export const LATEST_RESULTS = join(__dirname, '..', 'results', 'latest.json');

export interface ResultsFile {
  machine: Machine;
  updatedAt: string;
  /** By benchmark name, sorted, so that a re-run of one script changes only its own lines. */
  benchmarks: Record<string, BenchmarkResult>;
}

export function readResults(path: string): ResultsFile | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as ResultsFile;
}

/** Replaces the given benchmarks' entries in `path`, keeping the others. */
export function mergeResults(path: string, machine: Machine, results: BenchmarkResult[]): ResultsFile {
  const benchmarks: Record<string, BenchmarkResult> = { ...readResults(path)?.benchmarks };
  for (const result of results) benchmarks[result.name] = result;
  const sorted = Object.fromEntries(Object.entries(benchmarks).sort(([a], [b]) => a.localeCompare(b)));
  const file: ResultsFile = { machine, updatedAt: new Date().toISOString(), benchmarks: sorted };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  return file;
}
