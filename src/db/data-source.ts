import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, type ClientConfig } from 'pg';
import { DataSource, MigrationExecutor, type MigrationInterface } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import type { Config } from '../config/config';
import { AuditEventEntity } from '../audit/audit-event.entity';
import { OneTimeTokenEntity } from '../auth/one-time-token.entity';
import { UserEntity } from '../auth/user.entity';
import { SessionEntity } from '../sessions/session.entity';
import { Sessions1732450000000 as PgSessions } from './migrations/postgres/1732450000000-sessions';
import { AccountSecurity1732460000000 as PgAccountSecurity } from './migrations/postgres/1732460000000-account-security';
import { SessionEndings1796196729738 as PgSessionEndings } from './migrations/postgres/1796196729738-session-endings';
import { EmailOwnership1796197741842 as PgEmailOwnership } from './migrations/postgres/1796197741842-email-ownership';
import { IdleSweepIndex1796203075969 as PgIdleSweepIndex } from './migrations/postgres/1796203075969-idle-sweep-index';
import { DeclaredDevice1796215926212 as PgDeclaredDevice } from './migrations/postgres/1796215926212-declared-device';
import { ServiceClientsAndSsf1796215948887 as PgServiceClientsAndSsf } from './migrations/postgres/1796215948887-service-clients-and-ssf';
import { Sessions1732450000000 as SqliteSessions } from './migrations/sqlite/1732450000000-sessions';
import { AccountSecurity1732460000000 as SqliteAccountSecurity } from './migrations/sqlite/1732460000000-account-security';
import { EmailOwnership1796197741842 as SqliteEmailOwnership } from './migrations/sqlite/1796197741842-email-ownership';
import { IdleSweepIndex1796203075969 as SqliteIdleSweepIndex } from './migrations/sqlite/1796203075969-idle-sweep-index';
import { DeclaredDevice1796215926212 as SqliteDeclaredDevice } from './migrations/sqlite/1796215926212-declared-device';
import { ServiceClientsAndSsf1796215948887 as SqliteServiceClientsAndSsf } from './migrations/sqlite/1796215948887-service-clients-and-ssf';
import { ServiceClientEntity, ServiceTokenEntity } from '../service-clients/service-client.entity';
import { DatabaseUnavailableError, isDatabaseUnavailable, redactedDatabaseUrl } from './outage';

const ENTITIES = [UserEntity, SessionEntity, OneTimeTokenEntity, AuditEventEntity, ServiceClientEntity, ServiceTokenEntity];

/** Each backend has its own migration list: the SQL differs, the resulting model does not. */
const POSTGRES_MIGRATIONS: (new () => MigrationInterface)[] = [
  PgSessions,
  PgAccountSecurity,
  PgSessionEndings,
  PgEmailOwnership,
  PgIdleSweepIndex,
  PgDeclaredDevice,
  PgServiceClientsAndSsf,
];
const SQLITE_MIGRATIONS: (new () => MigrationInterface)[] = [
  SqliteSessions,
  SqliteAccountSecurity,
  SqliteEmailOwnership,
  SqliteIdleSweepIndex,
  SqliteDeclaredDevice,
  SqliteServiceClientsAndSsf,
];

/**
 * The embedded database holds password hashes and sealed secrets, and its folder holds the key
 * (secret.key): the folder is created 0700 and the file 0600 (SQLite gives its -wal and -shm
 * files the database file's mode), and an existing file readable by others is tightened.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
}

/**
 * A node-postgres client that drops its connection when a query got no answer within
 * `query_timeout`: the query is still outstanding on that connection, so every later query on it
 * would wait behind it. Dropped, the pool opens a fresh connection once the database answers again.
 */
class DropOnSilenceClient extends Client {
  constructor(config?: ClientConfig) {
    super(config);
    // The pool and TypeORM listen while they hold the client; this covers the moments in between,
    // since an 'error' event nobody hears (the dropped connection's) would end the process.
    this.on('error', () => undefined);
  }
}
Object.defineProperty(DropOnSilenceClient.prototype, 'query', {
  value: function query(this: Client, ...args: unknown[]): unknown {
    const result = (Client.prototype.query as (this: Client, ...args: unknown[]) => unknown).apply(this, args);
    if (result instanceof Promise) {
      result.catch((err: unknown) => {
        if (err instanceof Error && err.message === 'Query read timeout') (this as unknown as { connection: { stream: Socket } }).connection.stream.destroy();
      });
    }
    return result;
  },
});

/** How long one statement may run and wait for locks, for the service and for start-up migrations. */
interface StatementBounds {
  statementMs: number;
  lockMs: number;
  poolSize: number;
}

/** Every wait on Postgres is bounded (DATABASE_*_TIMEOUT_MS): connecting, each statement, lock waits, idle transactions. */
function postgresOptions(config: Config, bounds: StatementBounds): PostgresConnectionOptions {
  const schema = config.databaseSchema;
  return {
    type: 'postgres',
    url: config.databaseUrl,
    schema,
    entities: ENTITIES,
    migrations: POSTGRES_MIGRATIONS,
    migrationsTransactionMode: 'each',
    extra: {
      max: bounds.poolSize,
      Client: DropOnSilenceClient,
      // Raw SQL in migrations is unqualified, so it must land in the configured schema too.
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
      // Also bounds the wait for a free connection when every one is busy.
      connectionTimeoutMillis: config.databaseConnectTimeoutMs,
      statement_timeout: bounds.statementMs,
      // Postgres cancels first (a coded error, the connection stays usable); this catches a database that never answers at all.
      query_timeout: bounds.statementMs + 1000,
      lock_timeout: bounds.lockMs,
      idle_in_transaction_session_timeout: config.databaseIdleInTransactionTimeoutMs,
      keepAlive: true,
    },
  };
}

/** Postgres when DATABASE_URL is set, otherwise the embedded SQLite file. Never `synchronize`: schemas come from migrations. */
function createDataSource(config: Config): DataSource {
  if (config.databaseUrl) {
    return new DataSource(postgresOptions(config, { statementMs: config.databaseStatementTimeoutMs, lockMs: config.databaseLockTimeoutMs, poolSize: 20 }));
  }
  if (config.sqlitePath !== ':memory:') createPrivately(config.sqlitePath);
  return new DataSource({
    type: 'better-sqlite3',
    database: config.sqlitePath,
    entities: ENTITIES,
    migrations: SQLITE_MIGRATIONS,
    migrationsTransactionMode: 'each',
    timeout: config.sqliteBusyTimeoutMs,
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
    },
  });
}

/** How often a starting instance asks again for the migration lock another instance holds. */
const MIGRATION_LOCK_POLL_MS = 100;

/**
 * Creates the schema and applies pending migrations under a Postgres advisory lock keyed by the
 * schema, on a connection of its own: instances starting together on an empty database take
 * turns (unlocked, two of them raced on CREATE SCHEMA and CREATE TYPE: duplicate key in pg_type);
 * the later ones find everything applied. Statements get DATABASE_MIGRATION_TIMEOUT_MS, and so
 * does the wait for the lock.
 */
async function migratePostgres(config: Config): Promise<void> {
  const dataSource = new DataSource(postgresOptions(config, { statementMs: config.databaseMigrationTimeoutMs, lockMs: config.databaseLockTimeoutMs, poolSize: 1 }));
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  const lockKey = `signoff-migrations:${config.databaseSchema ?? 'public'}`;
  let locked = false;
  try {
    const deadline = performance.now() + config.databaseMigrationTimeoutMs;
    for (;;) {
      const [row] = (await runner.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [lockKey])) as { locked: boolean }[];
      if ((locked = row?.locked === true)) break;
      if (performance.now() > deadline) {
        throw new DatabaseUnavailableError(`another instance held the migration lock for over ${config.databaseMigrationTimeoutMs} ms (DATABASE_MIGRATION_TIMEOUT_MS)`);
      }
      await delay(MIGRATION_LOCK_POLL_MS);
    }
    if (config.databaseSchema) await runner.query(`CREATE SCHEMA IF NOT EXISTS "${config.databaseSchema.replace(/"/g, '')}"`);
    const migrations = new MigrationExecutor(dataSource, runner);
    migrations.transaction = 'each';
    await migrations.executePendingMigrations();
  } finally {
    if (locked) await runner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockKey]).catch(() => undefined);
    await runner.release();
    await dataSource.destroy();
  }
}

/**
 * Connects and applies pending migrations; a server never serves an old schema. A database that
 * cannot be reached, or does not answer, fails start-up within the configured bounds with a
 * DatabaseUnavailableError naming it (its URL without the password).
 */
export async function openDatabase(config: Config): Promise<DataSource> {
  try {
    if (config.databaseUrl) await migratePostgres(config);
    const dataSource = createDataSource(config);
    await dataSource.initialize();
    if (dataSource.options.type !== 'postgres') await dataSource.runMigrations();
    return dataSource;
  } catch (err) {
    if (!config.databaseUrl || !isDatabaseUnavailable(err)) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new DatabaseUnavailableError(
      `PostgreSQL at ${redactedDatabaseUrl(config.databaseUrl)} is unavailable: ${reason} ` +
        `(DATABASE_CONNECT_TIMEOUT_MS ${config.databaseConnectTimeoutMs}, DATABASE_STATEMENT_TIMEOUT_MS ${config.databaseStatementTimeoutMs})`,
      { cause: err },
    );
  }
}
