import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The sweeper also looks for live sessions unused past the idle timeout. */
export class IdleSweepIndex1796203075969 implements MigrationInterface {
  name = 'IdleSweepIndex1796203075969';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX sessions_live_by_activity ON sessions (last_active_at) WHERE revoked_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX sessions_live_by_activity`);
  }
}
