import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs `sql` written with `:name` parameters on either backend (the driver picks $n or ?), and
 * returns the rows (TypeORM's Postgres driver answers UPDATE/DELETE with [rows, count]).
 */
export async function runSql<Row = Record<string, unknown>>(
  dataSource: DataSource,
  executor: DataSource | EntityManager,
  sql: string,
  parameters: Record<string, unknown> = {},
): Promise<Row[]> {
  const [text, values] = dataSource.driver.escapeQueryWithParameters(sql, parameters, {});
  const result: unknown = await executor.query(text, values);
  if (dataSource.options.type === 'postgres' && /^\s*(UPDATE|DELETE)\b/i.test(sql) && Array.isArray(result) && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as Row[];
  }
  return Array.isArray(result) ? (result as Row[]) : [];
}
