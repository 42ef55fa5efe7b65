import { performance } from 'node:perf_hooks';
import { Client } from 'pg';

/**
 * The floor under any ending that must survive a crash: one autocommitted one-row INSERT on a
 * plain `pg` connection, into a table of the benchmark's own schema, under the server's own
 * durability settings (COMMIT waits for the WAL flush when synchronous_commit is on).
 */
export class DurableCommit {
  private constructor(
    private readonly pg: Client,
    private readonly table: string,
  ) {}

  static async open(databaseUrl: string, schema: string): Promise<DurableCommit> {
    const pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
    const table = `"${schema}".bench_floor_commit`;
    await pg.query(`CREATE TABLE IF NOT EXISTS ${table} (id bigserial PRIMARY KEY, at timestamptz NOT NULL)`);
    return new DurableCommit(pg, table);
  }

  /** Milliseconds for one INSERT and its commit, as the client sees it. */
  async sample(): Promise<number> {
    const startedAt = performance.now();
    await this.pg.query({ name: 'bench-floor-commit', text: `INSERT INTO ${this.table} (at) VALUES (now())` });
    return performance.now() - startedAt;
  }

  async close(): Promise<void> {
    await this.pg.end();
  }
}
