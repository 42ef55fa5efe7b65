import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { BENCH_DATABASE_URL, BENCH_REDIS_URL } from './machine';

/** A throwaway Postgres schema and Redis prefix, so a benchmark never touches anything it did not create. */
export interface BenchStores {
  databaseUrl: string;
  schema: string;
  redisUrl: string;
  redisPrefix: string;
  /** SECRET_KEY, shared by every instance on these stores. */
  secretKey: string;
}

export function newBenchStores(): BenchStores {
  const id = randomBytes(6).toString('hex');
  return { databaseUrl: BENCH_DATABASE_URL, schema: `bench_${id}`, redisUrl: BENCH_REDIS_URL, redisPrefix: `signoff-bench:${id}:`, secretKey: randomBytes(32).toString('base64') };
}

/** The environment a signoff instance reads (see src/config/config.ts) for these stores. */
export function serverEnvironment(stores: BenchStores): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    // Seeding registers every account from loopback.
    REGISTER_LIMIT_PER_IP_PER_HOUR: '1000000',
    // Every client socket comes from a handful of loopback addresses; the per-address cap (200) would refuse the rest.
    WS_MAX_SOCKETS_PER_IP: '1000000',
    DATABASE_URL: stores.databaseUrl,
    DATABASE_SCHEMA: stores.schema,
    REDIS_URL: stores.redisUrl,
    REDIS_PREFIX: stores.redisPrefix,
    SECRET_KEY: stores.secretKey,
  };
}

export async function dropBenchStores(stores: BenchStores): Promise<void> {
  const pg = new Client({ connectionString: stores.databaseUrl });
  await pg.connect();
  try {
    await pg.query(`DROP SCHEMA IF EXISTS "${stores.schema}" CASCADE`);
  } finally {
    await pg.end();
  }
  const redis = new Redis(stores.redisUrl);
  try {
    const keys = await redis.keys(`${stores.redisPrefix}*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}
