import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import type { Logger } from '../common/logger';
import type { Config } from '../config/config';
import { DatabaseClock } from '../db/clock';
import { openDatabase } from '../db/data-source';
import type { Lifecycle } from '../lifecycle';
import { InProcessEventBus, type EventBus } from '../realtime/event-bus';
import { RedisLeases } from '../realtime/lease';
import { connectRedis, redisTimeouts } from '../realtime/redis-connections';
import { RedisEventBus } from '../realtime/redis-event-bus';
import { LeasedCoherence, LocalCoherence, type CacheAck, type CacheCoherence } from '../sessions/cache-coherence.service';
import { SessionCache } from '../sessions/session-cache.service';
import type { SessionBusEvent } from '../sessions/session-events';

/** How often each instance re-measures its offset to the database clock. */
const CLOCK_REFRESH_SECONDS = 60;

/** Persistence and pub/sub: what every instance shares with the others. */
export interface Stores {
  dataSource: DataSource;
  clock: DatabaseClock;
  /** Commands connection; absent without REDIS_URL (one process, counting in memory). */
  redis?: Redis;
  /** The subscribing connection (Redis allows nothing else on it). */
  subscriber?: Redis;
  /** Session endings, across instances over Redis or in-process without it; listening once returned. */
  bus: EventBus<SessionBusEvent>;
}

/** Opens the database (and its clock), then Redis and the session bus, ready before anything serves. */
export async function openStores(config: Config, logger: Logger, lifecycle: Lifecycle): Promise<Stores> {
  const dataSource = await openDatabase(config);
  lifecycle.onDispose('database pool', () => dataSource.destroy());
  const clock = new DatabaseClock(dataSource);
  await clock.sync();
  clock.start(CLOCK_REFRESH_SECONDS, (err) => logger.warn({ err }, 'could not measure the database clock; keeping the last offset'));
  lifecycle.onDispose('database clock', () => clock.stop());

  if (!config.redisUrl) {
    const bus = new InProcessEventBus<SessionBusEvent>();
    lifecycle.onDispose('session bus', () => bus.close());
    return { dataSource, clock, bus };
  }
  const connections = await connectRedis(config.redisUrl, logger, redisTimeouts(config));
  lifecycle.onDispose('Redis connections', () => connections.close());
  const { commands: redis, subscriber } = connections;
  const bus = new RedisEventBus<SessionBusEvent>(redis, subscriber, `${config.redisPrefix}session-events`, logger, config.redisStartupTimeoutMs);
  await bus.whenReady();
  lifecycle.onDispose('session bus', () => bus.close());
  return { dataSource, clock, redis, subscriber, bus };
}

/** This instance's memory of live sessions, and how it learns of endings on every instance (ADR 0004). */
export interface SessionCaches {
  sessionCache: SessionCache;
  coherence: CacheCoherence;
}

/**
 * Without Redis there is one process: endings drop entries in-process, no lease needed. Across
 * instances the lease also needs the Postgres endings log (ADR 0004), so SQLite with Redis reads every time.
 */
export async function startSessionCaches(config: Config, { dataSource, redis, subscriber, bus }: Stores, logger: Logger, lifecycle: Lifecycle): Promise<SessionCaches> {
  // A list is read again after the interval at which lastActiveAt is written: it is no staler than the database's.
  const sessionCache = new SessionCache(config.sessionCacheMaxEntries, !config.redisUrl, config.activityWriteIntervalSeconds * 1000);
  let coherence: CacheCoherence;
  if (redis && subscriber && dataSource.options.type === 'postgres' && config.sessionCacheMaxEntries > 0) {
    const leaseMs = config.sessionCacheLeaseMs;
    const acks = new RedisEventBus<CacheAck>(redis, subscriber, `${config.redisPrefix}session-cache-acks`, logger, config.redisStartupTimeoutMs);
    await acks.whenReady();
    lifecycle.onDispose('cache acknowledgements', () => acks.close());
    const leases = new RedisLeases(redis, `${config.redisPrefix}session-cache-leases`, randomUUID(), leaseMs);
    coherence = new LeasedCoherence(sessionCache, dataSource, leases, bus, acks, subscriber, { leaseMs, marginMs: Math.max(50, leaseMs / 10) }, logger);
  } else {
    coherence = new LocalCoherence(sessionCache, bus);
  }
  await coherence.start();
  lifecycle.onDispose('session cache lease', () => coherence.stop());
  return { sessionCache, coherence };
}
