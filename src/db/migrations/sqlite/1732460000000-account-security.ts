import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AccountSecurity1732460000000 implements MigrationInterface {
  name = 'AccountSecurity1732460000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN totp_secret varchar(128)`);
    await q.query(`ALTER TABLE users ADD COLUMN totp_pending_secret varchar(128)`);
    await q.query(`ALTER TABLE users ADD COLUMN totp_enabled_at datetime`);
    await q.query(`ALTER TABLE users ADD COLUMN totp_last_step integer`);
    await q.query(`
      CREATE TABLE one_time_tokens (
        id varchar(36) PRIMARY KEY NOT NULL,
        user_id varchar(36) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        purpose varchar(32) NOT NULL,
        token_hash varchar(64) NOT NULL,
        session_id varchar(36) REFERENCES sessions(id),
        created_at datetime NOT NULL,
        expires_at datetime,
        used_at datetime
      )`);
    await q.query(`CREATE INDEX one_time_tokens_by_hash ON one_time_tokens (token_hash) WHERE used_at IS NULL`);
    await q.query(`CREATE INDEX one_time_tokens_by_user ON one_time_tokens (user_id, purpose) WHERE used_at IS NULL`);
    await q.query(`
      CREATE TABLE audit_events (
        id varchar(36) PRIMARY KEY NOT NULL,
        user_id varchar(36) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        type varchar(40) NOT NULL,
        at datetime NOT NULL,
        actor_session_id varchar(36) REFERENCES sessions(id),
        ip_address varchar(45) NOT NULL,
        country_code varchar(2),
        country varchar(128),
        region varchar(128),
        city varchar(128),
        device_label varchar(255) NOT NULL,
        target_session_ids text NOT NULL DEFAULT ''
      )`);
    await q.query(`CREATE INDEX audit_events_by_user ON audit_events (user_id, at DESC, id DESC)`);
    await q.query(`CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`);
    await q.query(`CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP TABLE one_time_tokens`);
    for (const column of ['totp_last_step', 'totp_enabled_at', 'totp_pending_secret', 'totp_secret']) {
      await q.query(`ALTER TABLE users DROP COLUMN ${column}`);
    }
  }
}
