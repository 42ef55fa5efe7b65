import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Sessions1732450000000 implements MigrationInterface {
  name = 'Sessions1732450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        email varchar(254) NOT NULL UNIQUE,
        password_hash varchar(255) NOT NULL,
        created_at timestamptz NOT NULL,
        password_changed_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash char(64) NOT NULL UNIQUE,
        user_agent varchar(512) NOT NULL,
        device_type varchar(16) NOT NULL,
        device_os varchar(128),
        device_browser varchar(128),
        device_model varchar(128),
        device_label varchar(255) NOT NULL,
        ip_address varchar(45) NOT NULL,
        country_code char(2),
        country varchar(128),
        region varchar(128),
        city varchar(128),
        flags text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL,
        last_active_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        confirmed_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoke_reason varchar(32),
        revoked_by_session_id uuid REFERENCES sessions(id)
      )`);
    // The account's live list, newest first, is the hot read; the sweeper scans live rows by expiry.
    await q.query(`CREATE INDEX sessions_live_by_user ON sessions (user_id, created_at DESC) WHERE revoked_at IS NULL`);
    await q.query(`CREATE INDEX sessions_live_by_expiry ON sessions (expires_at) WHERE revoked_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sessions`);
    await q.query(`DROP TABLE users`);
  }
}
