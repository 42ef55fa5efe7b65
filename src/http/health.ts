import type { Express } from 'express';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';

/** What /readyz reports for each store. */
interface Readiness {
  ready: boolean;
  database: 'up' | 'down';
  redis: 'up' | 'down' | 'in-process';
  /** `pending`: the database lacks a migration this code expects (say, rolled back under it). */
  migrations: 'applied' | 'pending' | 'unknown';
  /** The checks that keep this instance from being ready, by name: `database`, `redis`, `migrations`. */
  down: string[];
}

export interface HealthProbeOptions {
  dataSource: DataSource;
  /** Absent on the embedded default (in-process pub/sub). */
  redis?: Redis;
  /** Each store gets this long to answer before it counts as down (READINESS_TIMEOUT_MS). */
  timeoutMs: number;
}

/** Resolves with `work`'s outcome, or rejects once `ms` have passed: a probe never waits on a silent store. */
function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Names of the migrations this code ships, as TypeORM records them. */
function expectedMigrations(dataSource: DataSource): string[] {
  return dataSource.migrations.map((migration) => migration.name ?? migration.constructor.name);
}

/** Asks each store, in parallel and each within `timeoutMs`. */
async function checkReadiness({ dataSource, redis, timeoutMs }: HealthProbeOptions): Promise<Readiness> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const [database, applied, pubsub] = await Promise.all([
    within(dataSource.query('SELECT 1'), timeoutMs).then(
      () => 'up' as const,
      () => 'down' as const,
    ),
    within(dataSource.query<{ name: string }[]>(`SELECT name FROM "${table}"`), timeoutMs).then(
      (rows) => new Set(rows.map((row) => row.name)),
      () => undefined,
    ),
    redis
      ? within(redis.ping(), timeoutMs).then(
          () => 'up' as const,
          () => 'down' as const,
        )
      : ('in-process' as const),
  ]);
  const migrations = database === 'down' || !applied ? 'unknown' : expectedMigrations(dataSource).every((name) => applied.has(name)) ? 'applied' : 'pending';
  const down = [database === 'down' && 'database', pubsub === 'down' && 'redis', migrations === 'pending' && 'migrations'].filter((name): name is string => !!name);
  return { ready: down.length === 0, database, redis: pubsub, migrations, down };
}

/**
 * For orchestrators and load balancers:
 * - `GET /healthz` (liveness): 200 while the process serves HTTP. It does not ask the stores: with
 *   Redis down, token checks and endings still work (ADR 0004), and restarting an instance does not
 *   bring a database back.
 * - `GET /readyz` (readiness): 200 when the database answers, Redis answers (when configured) and
 *   every migration this code expects is applied; 503 otherwise, with the JSON naming what is down.
 */
export function mountHealth(app: Express, options: HealthProbeOptions): void {
  app.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').status(200).json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const readiness = await checkReadiness(options);
    res
      .set('Cache-Control', 'no-store')
      .status(readiness.ready ? 200 : 503)
      .json(readiness);
  });
}
