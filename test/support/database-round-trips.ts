import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/** Counts the connections an instance takes from its Postgres pool: one per query or transaction. */
export function countDatabaseRoundTrips(dataSource: DataSource): { readonly count: number } {
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  const counter = { count: 0 };
  pool.on('acquire', () => counter.count++);
  return counter;
}
