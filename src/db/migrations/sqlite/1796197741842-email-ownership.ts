import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Email ownership (see the Postgres migration). SQLite cannot drop a column's UNIQUE, so the
 * users table is rebuilt from its own current definition (whatever columns earlier migrations
 * added), minus that UNIQUE. TypeORM runs SQLite migrations with foreign keys off, so dropping
 * the old table cascades nothing and the references to `users` resolve to the new one.
 */
export class EmailOwnership1796197741842 implements MigrationInterface {
  name = 'EmailOwnership1796197741842';

  async up(q: QueryRunner): Promise<void> {
    await rebuildUsers(q, (definition) => {
      const unique = /(\bemail\s+varchar\(254\)\s+NOT NULL)\s+UNIQUE/i;
      if (!unique.test(definition)) throw new Error('users.email is not declared as expected');
      return definition.replace(unique, '$1');
    });
    await q.query(`ALTER TABLE users ADD COLUMN email_verified_at datetime`);
    await q.query(`ALTER TABLE users ADD COLUMN holds_email boolean NOT NULL DEFAULT 1`);
    await q.query(`CREATE UNIQUE INDEX users_email_holder ON users (email) WHERE holds_email = 1`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM users WHERE holds_email = 0`);
    await q.query(`DROP INDEX users_email_holder`);
    await q.query(`ALTER TABLE users DROP COLUMN holds_email`);
    await q.query(`ALTER TABLE users DROP COLUMN email_verified_at`);
    await rebuildUsers(q, (definition) => definition.replace(/(\bemail\s+varchar\(254\)\s+NOT NULL)/i, '$1 UNIQUE'));
  }
}

async function rebuildUsers(q: QueryRunner, change: (definition: string) => string): Promise<void> {
  const [table] = (await q.query(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'`)) as { sql: string }[];
  if (!table) throw new Error('no users table');
  const definition = change(table.sql).replace(/^CREATE TABLE\s+"?users"?/i, 'CREATE TABLE users_rebuilt');
  await q.query(definition);
  await q.query(`INSERT INTO users_rebuilt SELECT * FROM users`);
  await q.query(`DROP TABLE users`);
  await q.query(`ALTER TABLE users_rebuilt RENAME TO users`);
}
