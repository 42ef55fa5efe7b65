import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What an app declared about its device at sign-in (`device` of login/register): shown, never trusted. */
export class DeclaredDevice1796215926212 implements MigrationInterface {
  name = 'DeclaredDevice1796215926212';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sessions ADD COLUMN device_name varchar(64)`);
    await q.query(`ALTER TABLE sessions ADD COLUMN device_platform varchar(32)`);
    await q.query(`ALTER TABLE sessions ADD COLUMN device_app_version varchar(32)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sessions DROP COLUMN device_app_version`);
    await q.query(`ALTER TABLE sessions DROP COLUMN device_platform`);
    await q.query(`ALTER TABLE sessions DROP COLUMN device_name`);
  }
}
