import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Email ownership: an account proves its address (email_verified_at), and only the account that
 * holds an address can sign in by it. Registering a taken address makes a pending account
 * (holds_email false), so uniqueness covers the holders only.
 */
export class EmailOwnership1796197741842 implements MigrationInterface {
  name = 'EmailOwnership1796197741842';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN email_verified_at timestamptz`);
    await q.query(`ALTER TABLE users ADD COLUMN holds_email boolean NOT NULL DEFAULT true`);
    await q.query(`ALTER TABLE users DROP CONSTRAINT users_email_key`);
    await q.query(`CREATE UNIQUE INDEX users_email_holder ON users (email) WHERE holds_email`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM users WHERE NOT holds_email`);
    await q.query(`DROP INDEX users_email_holder`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)`);
    await q.query(`ALTER TABLE users DROP COLUMN holds_email`);
    await q.query(`ALTER TABLE users DROP COLUMN email_verified_at`);
  }
}
