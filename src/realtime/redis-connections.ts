import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../common/logger';
import type { Config } from '../config/config';

/** How long any Redis wait may last. Every wait is bounded: a lost Redis costs a sign-in milliseconds, not seconds. */
export interface RedisTimeouts {
  /** TCP connect, per attempt. */
  connectMs: number;
  /** A command's reply; past it the command fails (rate limits fall back to per-instance counting). */
  commandMs: number;
  /** Start-up gives up (with a message naming Redis) when both connections are not ready by then. */
  startupMs: number;
}

const DEFAULT_REDIS_TIMEOUTS: RedisTimeouts = { connectMs: 2000, commandMs: 500, startupMs: 10_000 };

/** The configured bounds (REDIS_CONNECT_TIMEOUT_MS, REDIS_COMMAND_TIMEOUT_MS, REDIS_STARTUP_TIMEOUT_MS). */
export function redisTimeouts(config: Pick<Config, 'redisConnectTimeoutMs' | 'redisCommandTimeoutMs' | 'redisStartupTimeoutMs'>): RedisTimeouts {
  return { connectMs: config.redisConnectTimeoutMs, commandMs: config.redisCommandTimeoutMs, startupMs: config.redisStartupTimeoutMs };
}

/** Reconnect forever, quickly at first, then every 2 s at most: Redis coming back is noticed within 2 s. */
const reconnectDelay = (attempt: number): number => Math.min(100 * attempt, 2000);

class RedisUnavailableError extends Error {}

/** The two connections an instance holds: commands (rate limits, PUBLISH) and the subscriber (pub/sub mode allows nothing else). */
export interface RedisConnections {
  commands: Redis;
  subscriber: Redis;
  close(): Promise<void>;
}

function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/**
 * Opens both connections, or fails with a RedisUnavailableError within `startupMs`.
 * While Redis is away afterwards, commands fail at once instead of queueing (no offline queue), a
 * command on a connection that stopped answering fails after `commandMs` and that connection is
 * dropped and reopened (`socketTimeout`), and the subscriber re-subscribes by itself when it is back.
 */
export async function connectRedis(url: string, logger: Logger, timeouts: RedisTimeouts = DEFAULT_REDIS_TIMEOUTS): Promise<RedisConnections> {
  const options: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: timeouts.connectMs,
    commandTimeout: timeouts.commandMs,
    socketTimeout: timeouts.commandMs,
    // A command caught by a dropped connection fails instead of being replayed later.
    maxRetriesPerRequest: 0,
    retryStrategy: reconnectDelay,
    // A dropped connection to a Redis that stopped answering is destroyed soon, not after 2 s.
    disconnectTimeout: 200,
  };
  const commands = new Redis(url, { ...options, connectionName: 'signoff-commands' });
  // Each RedisEventBus subscribes again itself and knows when it worked; ioredis's own re-subscription
  // would be a second, unobserved SUBSCRIBE whose failure (the link dropping again) is an unhandled rejection.
  const subscriber = new Redis(url, { ...options, connectionName: 'signoff-events', autoResubscribe: false });
  const connections = [commands, subscriber];
  let lastError: Error | undefined;
  for (const [role, connection] of [
    ['commands', commands],
    ['events', subscriber],
  ] as const) {
    let lost = false;
    connection.on('error', (err: Error) => (lastError = err));
    connection.on('close', () => {
      if (lost || connection.status === 'end') return;
      lost = true;
      logger.warn({ connection: role, err: lastError?.message }, 'Redis connection lost; reconnecting');
    });
    connection.on('ready', () => {
      if (!lost) return;
      lost = false;
      logger.info({ connection: role }, 'Redis connection restored');
    });
  }
  const close = async () => {
    await Promise.all(
      connections.map((connection) => (connection.status === 'ready' ? connection.quit().catch(() => connection.disconnect()) : Promise.resolve(connection.disconnect()))),
    );
  };

  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RedisUnavailableError(`Redis at ${redactedUrl(url)} did not answer within ${timeouts.startupMs} ms${lastError ? ` (${lastError.message})` : ''}`)),
      timeouts.startupMs,
    );
  });
  // connect() rejects on the first refused attempt while the client keeps retrying; start-up waits for the first ready.
  const ready = (connection: Redis) =>
    new Promise<void>((resolve) => {
      connection.once('ready', () => resolve());
      connection.connect().catch(() => undefined);
    });
  try {
    await Promise.race([Promise.all(connections.map(ready)), gaveUp]);
  } catch (err) {
    await close();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return { commands, subscriber, close };
}
