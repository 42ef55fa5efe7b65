import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createLogger, type Logger } from '../../src/common/logger';
import { loadConfig, type Config } from '../../src/config/config';
import { startServer, type RunningServer } from '../../src/server';
import { OnSessionTerminatedDocument, type OnSessionTerminatedSubscription } from '../generated/graphql';
import { DEVICES, graphql, LiveConnection, type EventQueue, type GraphqlResponse, type RequestOptions, type TestDevice } from './client';
import { until } from './deferred';
import { outboxReader, registerMailbox, verificationToken, VERIFICATION_SUBJECT } from './mailboxes';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from './smtp';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** What emails link to in clusters that send mail over SMTP: a host that is clearly not this server's. */
export const PUBLIC_URL = 'https://accounts.example.test';

export type Backend = 'postgres' | 'sqlite';

export interface ClusterOptions {
  backend?: Backend;
  count?: number;
  env?: Record<string, string>;
  logger?: Logger;
  /** Send email to a real SMTP server the test reads (`cluster.smtp`) instead of the outbox folder. */
  smtp?: boolean;
}

/** Anything a test opens against the cluster that must be closed before the next test counts subscribers. */
interface Disposable {
  dispose(): Promise<void>;
}

export interface TestCluster {
  instances: RunningServer[];
  config: Config;
  /** The first instance's GraphQL URL. */
  url: string;
  /** The SMTP server the cluster mails to (only with `smtp: true`). */
  smtp?: TestSmtpServer;
  /** POSTs one operation to the first instance (or `options.url`). */
  graphql<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables> | string,
    variables?: TVariables,
    options?: RequestOptions & { url?: string },
  ): Promise<GraphqlResponse<TData>>;
  /** Opens a graphql-ws connection the cluster tracks, so `drain` and `dispose` close it. */
  connect(token: string, device?: TestDevice, url?: string): Promise<LiveConnection>;
  /**
   * Opens a tracked socket for each sign-in, subscribed to sessionTerminated, and waits until the
   * cluster holds every subscription: what a test needs before ending sessions.
   */
  watchEndings(signIns: { token: string; device: TestDevice }[], url?: string): Promise<WatchedSession[]>;
  /** Tracks a connection opened some other way, so `drain` and `dispose` close it. */
  track<T extends Disposable>(connection: T): T;
  /** Subscriptions the cluster's instances hold right now. */
  subscriptionCount(): number;
  /**
   * graphql-ws answers nothing when a subscription starts; wait until the cluster holds at least
   * this many, so an event cannot race the subscribe message.
   */
  waitForSubscribers(atLeast: number): Promise<void>;
  /** Closes every tracked connection and waits until the cluster holds no subscription: the next test counts only its own. */
  drain(): Promise<void>;
  /** Drains, stops every instance, then drops the cluster's schema (or SQLite file), Redis keys and SMTP server. */
  dispose(): Promise<void>;
}

/** A signed-in device listening for the end of its session. */
export interface WatchedSession {
  socket: LiveConnection;
  events: EventQueue<OnSessionTerminatedSubscription>;
}

export type MailCluster = TestCluster & { smtp: TestSmtpServer };

/**
 * Starts `count` instances that share one store, like replicas behind a load balancer:
 * on Postgres + Redis, a throwaway schema and key prefix per cluster; on SQLite (the embedded
 * default, one instance only), a throwaway file and in-process pub/sub.
 */
export async function startCluster(options: ClusterOptions & { smtp: true }): Promise<MailCluster>;
export async function startCluster(options?: ClusterOptions): Promise<TestCluster>;
export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const backend = options.backend ?? 'postgres';
  const count = options.count ?? 1;
  const id = randomBytes(6).toString('hex');
  const scratchDir = mkdtempSync(join(tmpdir(), 'signoff-test-'));
  const smtp = options.smtp ? await startSmtpServer() : undefined;
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Suites register many accounts from 127.0.0.1; register-limit.test.ts sets a low limit of its own.
    REGISTER_LIMIT_PER_IP_PER_HOUR: '100000',
    OUTBOX_DIR: join(scratchDir, 'outbox'),
    ...(smtp ? { SMTP_URL: smtp.url, PUBLIC_URL } : {}),
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
  const tracked = new Set<Disposable>();
  let unregisterMailbox = () => {};

  const subscriptionCount = () => instances.reduce((sum, instance) => sum + instance.services.hub.subscriptionCount(), 0);
  const drain = async () => {
    const connections = [...tracked];
    tracked.clear();
    await Promise.all(connections.map((connection) => connection.dispose()));
    // The hub has no "unsubscribed" event to await; the count drops as the server sees each close. A count
    // that stays up is a socket no test tracks: failing here beats letting it satisfy the next test's wait.
    await until(() => subscriptionCount() === 0, 'the cluster to hold no subscription (a socket nobody tracks?)', 5000);
  };
  const dispose = async () => {
    try {
      await drain();
    } finally {
      await stopAndDropStores();
    }
  };
  const stopAndDropStores = async () => {
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
    await smtp?.dispose();
    rmSync(scratchDir, { recursive: true, force: true });
  };
  const track = <T extends Disposable>(connection: T): T => {
    tracked.add(connection);
    return connection;
  };
  try {
    // One after the other: the first applies the migrations, the rest find them applied.
    for (let i = 0; i < count; i++) instances.push(await startServer(config, options.logger ?? createLogger(config.logLevel)));
    unregisterMailbox = registerMailbox(
      instances.map((instance) => instance.url),
      smtp ? smtpVerificationReader(smtp) : outboxReader(config.outboxDir),
    );
  } catch (err) {
    await dispose();
    throw err;
  }
  const url = instances[0]!.url;
  const connect = async (token: string, device: TestDevice = DEVICES.chromeOnWindows, at = url) => track(await LiveConnection.open(at, token, device));
  const waitForSubscribers = (atLeast: number) => until(() => subscriptionCount() >= atLeast, `${atLeast} subscriptions to register (have ${subscriptionCount()})`, 5000, 10);
  return {
    instances,
    config,
    url,
    smtp,
    graphql: (document, variables, requestOptions = {}) => graphql(requestOptions.url ?? url, document, variables, requestOptions),
    connect,
    watchEndings: async (signIns, at = url) => {
      const already = subscriptionCount();
      const watched: WatchedSession[] = [];
      for (const signIn of signIns) {
        const socket = await connect(signIn.token, signIn.device, at);
        watched.push({ socket, events: socket.subscribe(OnSessionTerminatedDocument) });
      }
      await waitForSubscribers(already + signIns.length);
      return watched;
    },
    track,
    subscriptionCount,
    waitForSubscribers,
    drain,
    dispose,
  };
}

/** Reads verification links from the cluster's SMTP server, for the account helpers' `verifyAddress`. */
function smtpVerificationReader(smtp: TestSmtpServer) {
  return async (email: string) => {
    const mail = await smtp.next((m) => m.to === email && m.subject === VERIFICATION_SUBJECT);
    const token = verificationToken(mail.text);
    if (!token) throw new Error(`no verification link in: ${mail.text}`);
    return token;
  };
}

/**
 * Runs SQL directly on the cluster's store, for asserting rows and arranging states the API cannot
 * reach: the Postgres schema, or the SQLite file (over a connection of its own, as an operator's SQL
 * shell would be). Placeholders are Postgres's `$1`, `$2`, ... on both.
 */
export async function sql<Row extends Record<string, unknown> = Record<string, unknown>>(
  cluster: Pick<TestCluster, 'config'>,
  text: string,
  params: unknown[] = [],
): Promise<Row[]> {
  const { databaseUrl, databaseSchema, sqlitePath } = cluster.config;
  if (databaseUrl && databaseSchema) {
    const pg = new Client({ connectionString: databaseUrl, options: `-c search_path=${databaseSchema}` });
    await pg.connect();
    try {
      return (await pg.query<Row>(text, params)).rows;
    } finally {
      await pg.end();
    }
  }
  if (!sqlitePath) throw new Error('sql() needs a Postgres or SQLite cluster');
  const ordered: unknown[] = [];
  const sqliteText = text.replace(/\$(\d+)/g, (_, n: string) => {
    ordered.push(params[Number(n) - 1]);
    return '?';
  });
  const db = new DataSource({ type: 'better-sqlite3', database: sqlitePath });
  await db.initialize();
  try {
    return await db.query<Row[]>(sqliteText, ordered);
  } finally {
    await db.destroy();
  }
}

/**
 * A cluster for the whole suite: started in beforeAll, drained after each test (every connection it
 * tracks is closed, so no test sees another's subscriptions), disposed in afterAll. The returned
 * object forwards to the running cluster; use it inside tests and hooks.
 */
export function clusterPerSuite(options: ClusterOptions & { smtp: true }): MailCluster;
export function clusterPerSuite(options?: ClusterOptions): TestCluster;
export function clusterPerSuite(options: ClusterOptions = {}): TestCluster {
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster(options);
  });
  afterEach(async () => {
    await cluster?.drain();
  });
  afterAll(async () => {
    await cluster?.dispose();
  });
  const started = (): TestCluster => {
    if (!cluster) throw new Error('the cluster starts in beforeAll; use it inside tests');
    return cluster;
  };
  return new Proxy({} as TestCluster, {
    // Not a thenable: `await` on the handle must not reach for a cluster that has not started.
    get: (_, key) => (key === 'then' ? undefined : started()[key as keyof TestCluster]),
  });
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

/** The value of `param` in the first link of the mail that points at `path`. */
export function linkParam(mail: ReceivedMail, path: string, param: string): string {
  const link = mail.text.match(new RegExp(`https?://\\S*${path.replace(/[/]/g, '\\/')}\\?\\S+`))?.[0];
  if (!link) throw new Error(`no ${path} link in: ${mail.text}`);
  const value = new URL(link).searchParams.get(param);
  if (!value) throw new Error(`no ${param} in ${link}`);
  return value;
}

/** The six-digit code in a confirmation email. */
export function sixDigitCode(mail: ReceivedMail): string {
  const code = mail.text.match(/\b\d{6}\b/)?.[0];
  if (!code) throw new Error(`no code in: ${mail.text}`);
  return code;
}
