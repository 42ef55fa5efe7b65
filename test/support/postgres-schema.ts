import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './cluster';

/** Environment for a spawned service on a throwaway Postgres schema and Redis prefix; `drop` removes the schema. */
export function throwawayStores(): { env: Record<string, string>; schema: string; client(): Promise<Client>; drop(): Promise<void> } {
  const id = randomBytes(6).toString('hex');
  const schema = `t_${id}`;
  const client = async () => {
    const pg = new Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    await pg.connect();
    return pg;
  };
  return {
    schema,
    env: { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: `signoff-test:${id}:` },
    client,
    drop: async () => {
      const pg = await client();
      await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pg.end();
    },
  };
}
