import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AccountSecurity1732460000000 implements MigrationInterface {
  name = 'AccountSecurity1732460000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN totp_secret varchar(128)`);
    await q.query(`ALTER TABLE users ADD COLUMN totp_pending_secret varchar(128)`);
    await q.query(`ALTER TABLE users ADD COLUMN totp_enabled_at timestamptz`);
    await q.query(`ALTER TABLE users ADD COLUMN totp_last_step integer`);
    await q.query(`
      CREATE TABLE one_time_tokens (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        purpose varchar(32) NOT NULL,
        token_hash char(64) NOT NULL,
        session_id uuid REFERENCES sessions(id),
        created_at timestamptz NOT NULL,
        expires_at timestamptz,
        used_at timestamptz
      )`);
    await q.query(`CREATE INDEX one_time_tokens_by_hash ON one_time_tokens (token_hash) WHERE used_at IS NULL`);
    await q.query(`CREATE INDEX one_time_tokens_by_user ON one_time_tokens (user_id, purpose) WHERE used_at IS NULL`);
    await q.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        type varchar(40) NOT NULL,
        at timestamptz NOT NULL,
        actor_session_id uuid REFERENCES sessions(id),
        ip_address varchar(45) NOT NULL,
        country_code char(2),
        country varchar(128),
        region varchar(128),
        city varchar(128),
        device_label varchar(255) NOT NULL,
        target_session_ids text NOT NULL DEFAULT ''
      )`);
    await q.query(`CREATE INDEX audit_events_by_user ON audit_events (user_id, at DESC, id DESC)`);
    // Append-only, whatever the code does: the database refuses to rewrite history.
    await q.query(`
      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`);
    await q.query(`
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP FUNCTION audit_events_append_only`);
    await q.query(`DROP TABLE one_time_tokens`);
    for (const column of ['totp_last_step', 'totp_enabled_at', 'totp_pending_secret', 'totp_secret']) {
      await q.query(`ALTER TABLE users DROP COLUMN ${column}`);
    }
  }
}
