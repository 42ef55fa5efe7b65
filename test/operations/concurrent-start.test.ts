import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/cluster';
import { TcpProxy } from '../support/tcp-proxy';
import { createLogger } from '../../src/common/logger';
import { loadConfig, type Config } from '../../src/config/config';
import { startServer, type RunningServer } from '../../src/server';

const silent = createLogger('silent');

function freshStores(env: Record<string, string> = {}): Config {
  const id = randomBytes(6).toString('hex');
  return loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: `t_${id}`,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: `signoff-test:${id}:`,
    SECRET_KEY: randomBytes(32).toString('base64'),
    ...env,
  });
}

async function dropStores(config: Config): Promise<void> {
  const pg = new Client({ connectionString: TEST_DATABASE_URL });
  await pg.connect();
  await pg.query(`DROP SCHEMA IF EXISTS "${config.databaseSchema}" CASCADE`);
  await pg.end();
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys(`${config.redisPrefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
}

describe('instances starting together on an empty database', () => {
  const INSTANCES = 5;
  const ROUNDS = 3;

  it(`all come up, ${INSTANCES} at once, ${ROUNDS} times over, with each migration applied once`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const config = freshStores();
      const started = await Promise.allSettled(Array.from({ length: INSTANCES }, () => startServer(config, silent)));
      const running = started.filter((outcome): outcome is PromiseFulfilledResult<RunningServer> => outcome.status === 'fulfilled').map((outcome) => outcome.value);
      try {
        expect(started.filter((outcome) => outcome.status === 'rejected').map((outcome) => String(outcome.reason))).toEqual([]);
        for (const instance of running) {
          const ready = await fetch(new URL('/readyz', instance.url));
          expect(ready.status).toBe(200);
        }
        const pg = new Client({ connectionString: TEST_DATABASE_URL });
        await pg.connect();
        const { rows } = await pg.query<{ name: string; times: number }>(`SELECT name, count(*)::int AS times FROM "${config.databaseSchema}".migrations GROUP BY name`);
        await pg.end();
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.filter((row) => row.times !== 1)).toEqual([]);
      } finally {
        await Promise.all(running.map((instance) => instance.dispose()));
        await dropStores(config);
      }
    }
  }, 120_000);
});

describe('starting against a database that accepts connections and never answers', () => {
  it('gives up within the connect bound, naming the database (without its password)', async () => {
    const blackhole = await TcpProxy.start({ host: new URL(TEST_DATABASE_URL).hostname, port: Number(new URL(TEST_DATABASE_URL).port || 5432) });
    blackhole.stall();
    const url = new URL(blackhole.urlFor(TEST_DATABASE_URL));
    url.password = 'hunter2';
    const config = freshStores({ DATABASE_URL: url.toString(), DATABASE_CONNECT_TIMEOUT_MS: '1000' });
    try {
      const started = performance.now();
      const outcome = await startServer(config, silent).then(
        async (server) => {
          await server.dispose();
          return 'started';
        },
        (err: Error) => err.message,
      );
      const ms = performance.now() - started;
      expect(outcome).toMatch(/^PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/test is unavailable: .*timeout/);
      expect(outcome).not.toContain('hunter2');
      expect(ms).toBeLessThan(1000 + 3000);
    } finally {
      await blackhole.close();
      await dropStores(config);
    }
  });
});
