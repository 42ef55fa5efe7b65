import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each ended session records the id of the transaction that ended it, so an instance can ask
 * "which sessions ended since I last looked?" without missing a transaction that committed out of
 * order: it asks for `ended_xid >= ` the oldest transaction still running at its previous look
 * (ADR 0004). A trigger sets it, so every statement that ends sessions is covered, whatever its shape.
 * Postgres only: the embedded SQLite default is one process and drops its cache entries in-process.
 */
export class SessionEndings1796196729738 implements MigrationInterface {
  name = 'SessionEndings1796196729738';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sessions ADD COLUMN ended_xid xid8`);
    await q.query(`CREATE INDEX sessions_by_ended_xid ON sessions (ended_xid) WHERE ended_xid IS NOT NULL`);
    await q.query(`
      CREATE FUNCTION sessions_record_ending() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL THEN
          NEW.ended_xid := pg_current_xact_id();
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER sessions_record_ending BEFORE UPDATE OF revoked_at ON sessions
      FOR EACH ROW EXECUTE FUNCTION sessions_record_ending()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER sessions_record_ending ON sessions`);
    await q.query(`DROP FUNCTION sessions_record_ending()`);
    await q.query(`DROP INDEX sessions_by_ended_xid`);
    await q.query(`ALTER TABLE sessions DROP COLUMN ended_xid`);
  }
}
