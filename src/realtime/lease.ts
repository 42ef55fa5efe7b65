import type { Redis } from 'ioredis';

/**
 * Leases in one Redis sorted set: member = instance id, score = when its lease ends, in Redis's
 * own clock (`TIME`), so the instances' clocks never have to agree. Redis is the authority on
 * who holds a lease; each holder also measures its lease with its own monotonic clock, starting
 * before it asked, so its view always ends first.
 */
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return now`;

const HOLDERS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')`;

type LeaseCommands = Redis & {
  signoffLeaseRenew(key: string, instanceId: string, ttlMs: number): Promise<number>;
  signoffLeaseHolders(key: string): Promise<string[]>;
};

export class RedisLeases {
  private readonly redis: LeaseCommands;

  constructor(
    redis: Redis,
    private readonly key: string,
    readonly instanceId: string,
    private readonly ttlMs: number,
  ) {
    if (!('signoffLeaseRenew' in redis)) {
      redis.defineCommand('signoffLeaseRenew', { numberOfKeys: 1, lua: RENEW });
      redis.defineCommand('signoffLeaseHolders', { numberOfKeys: 1, lua: HOLDERS });
    }
    this.redis = redis as LeaseCommands;
  }

  /** Takes or extends this instance's lease for `ttlMs` from when Redis runs the command. */
  async renew(): Promise<void> {
    await this.redis.signoffLeaseRenew(this.key, this.instanceId, this.ttlMs);
  }

  /** Instances whose lease has not ended by Redis's clock. */
  holders(): Promise<string[]> {
    return this.redis.signoffLeaseHolders(this.key);
  }

  /** Gives the lease up, so that no ending waits for an instance that has stopped. */
  async release(): Promise<void> {
    await this.redis.zrem(this.key, this.instanceId);
  }
}
