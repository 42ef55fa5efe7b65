import { round, summarize, type Summary } from './stats';

/** One measured quantity: its distribution, and how it compares with the baseline measured in the same run. */
export interface ResultRow {
  metric: string;
  unit: string;
  n: number;
  p50: number;
  p95: number;
  p99: number;
  /** `metric` of the row this one is divided by; absent on baselines themselves. */
  baseline?: string;
  /** This row over its baseline, percentile by percentile. */
  ratio?: { p50: number; p95: number; p99: number };
}

export interface GoalCheck {
  goal: string;
  /** The figure the goal is judged on, in `unit`. */
  actual: number;
  limit: number;
  comparison: '<=' | '>=' | '<';
  unit: string;
  met: boolean;
}

export interface BenchmarkResult {
  name: string;
  title: string;
  quick: boolean;
  startedAt: string;
  durationSeconds: number;
  parameters: Record<string, number | string>;
  rows: ResultRow[];
  goals: GoalCheck[];
  notes: string[];
}

export interface RunOptions {
  /** Tiny N, a few seconds: proves the script works, measures nothing worth keeping. */
  quick: boolean;
  /** Progress lines; the result itself is returned, not printed. */
  log?: (line: string) => void;
}

export interface Benchmark {
  name: string;
  title: string;
  run(options: RunOptions): Promise<BenchmarkResult>;
}

function rowFrom(metric: string, unit: string, summary: Pick<Summary, 'n' | 'p50' | 'p95' | 'p99'>): ResultRow {
  return { metric, unit, n: summary.n, p50: round(summary.p50), p95: round(summary.p95), p99: round(summary.p99) };
}

export function rowOf(metric: string, unit: string, samples: readonly number[]): ResultRow {
  return rowFrom(metric, unit, summarize(samples));
}

/** A row that holds a single figure (a total, a per-socket size): every percentile is that figure. */
export function singleValueRow(metric: string, unit: string, value: number, n = 1): ResultRow {
  return { metric, unit, n, p50: round(value), p95: round(value), p99: round(value) };
}

/** Attaches `baseline` to `row` and the percentile ratios row/baseline. */
export function comparedWith(row: ResultRow, baseline: ResultRow): ResultRow {
  const divide = (a: number, b: number) => round(b === 0 ? Number.NaN : a / b);
  return {
    ...row,
    baseline: baseline.metric,
    ratio: { p50: divide(row.p50, baseline.p50), p95: divide(row.p95, baseline.p95), p99: divide(row.p99, baseline.p99) },
  };
}

export function goal(description: string, actual: number, comparison: GoalCheck['comparison'], limit: number, unit: string): GoalCheck {
  const met = comparison === '<=' ? actual <= limit : comparison === '>=' ? actual >= limit : actual < limit;
  return { goal: description, actual: round(actual), limit, comparison, unit, met };
}

/** Why `result` is not a usable result (empty when it is): what the smoke test asserts on. */
export function problemsWith(result: BenchmarkResult): string[] {
  const problems: string[] = [];
  if (!result.name || !result.title) problems.push('missing name or title');
  if (result.rows.length === 0) problems.push('no rows');
  const isNumber = (value: unknown) => typeof value === 'number' && Number.isFinite(value);
  for (const row of result.rows) {
    if (!(row.n > 0)) problems.push(`${row.metric}: no samples`);
    for (const key of ['p50', 'p95', 'p99'] as const) {
      if (!isNumber(row[key])) problems.push(`${row.metric}: ${key} is ${row[key]}`);
    }
    if (row.baseline !== undefined) {
      if (!result.rows.some((other) => other.metric === row.baseline)) problems.push(`${row.metric}: baseline row "${row.baseline}" missing`);
      for (const key of ['p50', 'p95', 'p99'] as const) {
        if (!isNumber(row.ratio?.[key])) problems.push(`${row.metric}: ratio ${key} is ${row.ratio?.[key]}`);
      }
    }
  }
  for (const check of result.goals) {
    if (!isNumber(check.actual)) problems.push(`goal "${check.goal}": actual is ${check.actual}`);
  }
  if (!isNumber(result.durationSeconds)) problems.push('durationSeconds is not a number');
  return problems;
}
