import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, type MigrationInterface } from 'typeorm';
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

export const ENTITIES = [UserEntity, SessionEntity, OneTimeTokenEntity, AuditEventEntity, ServiceClientEntity, ServiceTokenEntity];

/** Each backend has its own migration list: the SQL differs, the resulting model does not. */
const POSTGRES_MIGRATIONS: (new () => MigrationInterface)[] = [PgSessions, PgAccountSecurity, PgSessionEndings, PgEmailOwnership, PgIdleSweepIndex, PgDeclaredDevice, PgServiceClientsAndSsf];
const SQLITE_MIGRATIONS: (new () => MigrationInterface)[] = [SqliteSessions, SqliteAccountSecurity, SqliteEmailOwnership, SqliteIdleSweepIndex, SqliteDeclaredDevice, SqliteServiceClientsAndSsf];

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

/** Postgres when DATABASE_URL is set, otherwise the embedded SQLite file. Never `synchronize`: schemas come from migrations. */
export function createDataSource(config: Config): DataSource {
  if (config.databaseUrl) {
    const schema = config.databaseSchema;
    return new DataSource({
      type: 'postgres',
      url: config.databaseUrl,
      schema,
      entities: ENTITIES,
      migrations: POSTGRES_MIGRATIONS,
      migrationsTransactionMode: 'each',
      // Raw SQL in migrations is unqualified, so it must land in the configured schema too.
      extra: { max: 20, ...(schema ? { options: `-c search_path=${schema}` } : {}) },
    });
  }
  if (config.sqlitePath !== ':memory:') createPrivately(config.sqlitePath);
  return new DataSource({
    type: 'better-sqlite3',
    database: config.sqlitePath,
    entities: ENTITIES,
    migrations: SQLITE_MIGRATIONS,
    migrationsTransactionMode: 'each',
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
    },
  });
}

/** Connects and applies pending migrations; a server never serves an old schema. */
export async function openDatabase(config: Config): Promise<DataSource> {
  const dataSource = createDataSource(config);
  await dataSource.initialize();
  if (dataSource.options.type === 'postgres' && config.databaseSchema) {
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${config.databaseSchema.replace(/"/g, '')}"`);
  }
  await dataSource.runMigrations();
  return dataSource;
}
