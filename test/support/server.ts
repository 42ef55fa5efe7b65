import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { createLogger, type Logger } from '../../src/common/logger';
import { loadConfig, type Config } from '../../src/config/config';
import { startServer, type RunningServer } from '../../src/server';
import { outboxReader, registerMailbox } from './mailboxes';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type Backend = 'postgres' | 'sqlite';

export interface TestCluster {
  instances: RunningServer[];
  config: Config;
  /** Stops every instance, then drops the suite's schema (or SQLite file) and Redis keys. */
  dispose(): Promise<void>;
}

/**
 * Starts `count` instances that share one store, like replicas behind a load balancer:
 * on Postgres + Redis, a throwaway schema and key prefix per cluster; on SQLite (the embedded
 * default, one instance only), a throwaway file and in-process pub/sub.
 */
export async function startCluster(
  options: { backend?: Backend; count?: number; env?: Record<string, string>; logger?: Logger } = {},
): Promise<TestCluster> {
  const backend = options.backend ?? 'postgres';
  const count = options.count ?? 1;
  const id = randomBytes(6).toString('hex');
  const scratchDir = mkdtempSync(join(tmpdir(), 'signoff-test-'));
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Suites register many accounts from 127.0.0.1; rate-limit.test.ts sets a low limit of its own.
    REGISTER_LIMIT_PER_IP_PER_HOUR: '100000',
    OUTBOX_DIR: join(scratchDir, 'outbox'),
    ...(backend === 'postgres'
      ? {
          DATABASE_URL: TEST_DATABASE_URL,
          DATABASE_SCHEMA: `t_${id}`,
          REDIS_URL: TEST_REDIS_URL,
          REDIS_PREFIX: `signoff-test:${id}:`,
          // Shared by the cluster's instances, as in production.
          SECRET_KEY: randomBytes(32).toString('base64'),
        }
      : { SQLITE_PATH: join(scratchDir, 'signoff.sqlite') }),
    ...options.env,
  };
  const config = loadConfig(env);
  const instances: RunningServer[] = [];
  let unregisterMailbox = () => {};
  const dispose = async () => {
    unregisterMailbox();
    await Promise.all(instances.map((instance) => instance.dispose()));
    if (config.databaseUrl && config.databaseSchema) {
      const pg = new Client({ connectionString: config.databaseUrl });
      await pg.connect();
      await pg.query(`DROP SCHEMA IF EXISTS "${config.databaseSchema}" CASCADE`);
      await pg.end();
    }
    if (config.redisUrl) {
      const redis = new Redis(config.redisUrl);
      const keys = await redis.keys(`${config.redisPrefix}*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
    rmSync(scratchDir, { recursive: true, force: true });
  };
  try {
    // One after the other: the first applies the migrations, the rest find them applied.
    for (let i = 0; i < count; i++) instances.push(await startServer(config, options.logger ?? createLogger(config.logLevel)));
    if (!config.smtpUrl) unregisterMailbox = registerMailbox(instances.map((instance) => instance.url), outboxReader(config.outboxDir));
  } catch (err) {
    await dispose();
    throw err;
  }
  return { instances, config, dispose };
}

/**
 * graphql-ws answers nothing when a subscription starts; wait until the cluster holds the
 * expected number of subscriptions, so an event cannot race the subscribe message.
 */
export async function waitForSubscribers(cluster: TestCluster, atLeast: number): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const count = cluster.instances.reduce((sum, instance) => sum + instance.services.hub.subscriptionCount(), 0);
    if (count >= atLeast) return;
    if (Date.now() > deadline) throw new Error(`only ${count} of ${atLeast} subscriptions registered`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Disposes a test's connections and waits until the cluster holds no subscription, so that the
 * next test's waitForSubscribers counts only its own.
 */
export async function closeConnections(cluster: TestCluster, connections: { dispose(): Promise<void> }[]): Promise<void> {
  await Promise.all(connections.map((connection) => connection.dispose()));
  const deadline = Date.now() + 2000;
  const remaining = () => cluster.instances.reduce((sum, instance) => sum + instance.services.hub.subscriptionCount(), 0);
  while (remaining() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Runs SQL directly on a Postgres cluster's schema: for asserting rows and arranging states the API cannot reach. */
export async function sql<Row extends Record<string, unknown> = Record<string, unknown>>(
  cluster: TestCluster,
  text: string,
  params: unknown[] = [],
): Promise<Row[]> {
  const { databaseUrl, databaseSchema } = cluster.config;
  if (!databaseUrl || !databaseSchema) throw new Error('sql() needs a Postgres cluster');
  const pg = new Client({ connectionString: databaseUrl, options: `-c search_path=${databaseSchema}` });
  await pg.connect();
  try {
    return (await pg.query<Row>(text, params)).rows;
  } finally {
    await pg.end();
  }
}

/** Starts a cluster before the suite's tests and disposes it after them; read `url` and `cluster` inside tests. */
export function clusterPerSuite(options: Parameters<typeof startCluster>[0] = {}): { readonly cluster: TestCluster; readonly url: string } {
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster(options);
  });
  afterAll(async () => {
    await cluster?.dispose();
  });
  const started = (): TestCluster => {
    if (!cluster) throw new Error('the cluster starts in beforeAll; use it inside tests');
    return cluster;
  };
  return {
    get cluster() {
      return started();
    },
    get url() {
      return started().instances[0]!.url;
    },
  };
}

/**
 * The environment of another instance of `config`'s cluster in a process of its own (a child server
 * a test can pause, kill or skew): the same database schema, Redis prefix and SECRET_KEY, any port.
 */
export function sameStoresEnv(config: Config): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    DATABASE_URL: config.databaseUrl!,
    DATABASE_SCHEMA: config.databaseSchema!,
    REDIS_URL: config.redisUrl!,
    REDIS_PREFIX: config.redisPrefix,
    SECRET_KEY: config.secretKey!.toString('base64'),
  };
}
