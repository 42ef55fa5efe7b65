import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Sessions1732450000000 implements MigrationInterface {
  name = 'Sessions1732450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id varchar(36) PRIMARY KEY NOT NULL,
        email varchar(254) NOT NULL UNIQUE,
        password_hash varchar(255) NOT NULL,
        created_at datetime NOT NULL,
        password_changed_at datetime NOT NULL
      )`);
    await q.query(`
      CREATE TABLE sessions (
        id varchar(36) PRIMARY KEY NOT NULL,
        user_id varchar(36) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash varchar(64) NOT NULL UNIQUE,
        user_agent varchar(512) NOT NULL,
        device_type varchar(16) NOT NULL,
        device_os varchar(128),
        device_browser varchar(128),
        device_model varchar(128),
        device_label varchar(255) NOT NULL,
        ip_address varchar(45) NOT NULL,
        country_code varchar(2),
        country varchar(128),
        region varchar(128),
        city varchar(128),
        flags text NOT NULL DEFAULT '',
        created_at datetime NOT NULL,
        last_active_at datetime NOT NULL,
        expires_at datetime NOT NULL,
        confirmed_at datetime NOT NULL,
        revoked_at datetime,
        revoke_reason varchar(32),
        revoked_by_session_id varchar(36) REFERENCES sessions(id)
      )`);
    await q.query(`CREATE INDEX sessions_live_by_user ON sessions (user_id, created_at DESC) WHERE revoked_at IS NULL`);
    await q.query(`CREATE INDEX sessions_live_by_expiry ON sessions (expires_at) WHERE revoked_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sessions`);
    await q.query(`DROP TABLE users`);
  }
}
