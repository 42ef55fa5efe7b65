import type { BenchmarkResult, GoalCheck, ResultRow } from './report';

/** Right-aligns numbers, left-aligns text, one space of padding: readable in a terminal and in Markdown. */
function renderTable(header: string[], body: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => (cells[column] ?? '').length)));
  const numeric = header.map((_, column) => body.length > 0 && body.every((cells) => /^[-\d.,x/ ]*$/.test(cells[column] ?? '')));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => (numeric[column] ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (numeric[column] ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function formatRatio(row: ResultRow): string {
  if (!row.ratio) return '';
  const { p50, p95, p99 } = row.ratio;
  return `${formatNumber(p50)} / ${formatNumber(p95)} / ${formatNumber(p99)}`;
}

export function formatGoal(check: GoalCheck): string {
  return `${check.met ? 'MET   ' : 'MISSED'} ${check.goal}: ${formatNumber(check.actual)} ${check.unit} (goal ${check.comparison} ${formatNumber(check.limit)})`;
}

/** One table for any number of benchmarks: a row per metric, prefixed by its benchmark when there are several. */
export function renderResults(results: BenchmarkResult[]): string {
  const several = results.length > 1;
  const header = [...(several ? ['benchmark'] : []), 'metric', 'unit', 'n', 'p50', 'p95', 'p99', 'ratio to baseline p50 / p95 / p99', 'baseline'];
  const body = results.flatMap((result) => {
    const baselines = new Set(result.rows.map((row) => row.baseline));
    return result.rows.map((row) => [
      ...(several ? [result.name] : []),
      row.metric,
      row.unit,
      String(row.n),
      formatNumber(row.p50),
      formatNumber(row.p95),
      formatNumber(row.p99),
      formatRatio(row),
      row.baseline ?? (baselines.has(row.metric) ? '(is a baseline)' : ''),
    ]);
  });
  const goals = results.flatMap((result) => result.goals.map((check) => `${several ? `${result.name}: ` : ''}${formatGoal(check)}`));
  const notes = results.flatMap((result) => result.notes.map((note) => `${several ? `${result.name}: ` : ''}${note}`));
  return [
    renderTable(header, body),
    ...(goals.length ? ['', 'Goals:', ...goals.map((g) => `  ${g}`)] : []),
    ...(notes.length ? ['', 'Notes:', ...notes.map((n) => `  - ${n}`)] : []),
  ].join('\n');
}
