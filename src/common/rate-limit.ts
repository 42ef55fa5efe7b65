import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimitedError } from './errors';

export interface AttemptPolicy {
  /** Failures allowed per window. */
  points: number;
  windowSeconds: number;
  /** Lockout once exhausted (defaults to the window). */
  blockSeconds?: number;
}

/** Told of every refusal (the service's metrics), so dashboards see limits being hit. */
export interface RejectionCounter {
  rateLimitRejected(limiterName: string): void;
}

/**
 * Counts failed attempts (wrong password, wrong code) per key and refuses further attempts once a
 * key has used its budget. Shared through Redis, so every instance counts the same attempts.
 */
export class AttemptLimiter {
  private readonly limiter: RateLimiterAbstract;

  constructor(
    private readonly name: string,
    policy: AttemptPolicy,
    redis: Redis | undefined,
    prefix: string,
    private readonly metrics?: RejectionCounter,
  ) {
    const options = {
      keyPrefix: `${prefix}rl:${name}`,
      points: policy.points,
      duration: policy.windowSeconds,
      blockDuration: policy.blockSeconds ?? policy.windowSeconds,
    };
    this.limiter = redis
      ? // While Redis is unreachable, each instance counts on its own instead of failing every sign-in.
        new RateLimiterRedis({
          storeClient: redis,
          useRedisPackage: false,
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory(options),
          ...options,
        })
      : new RateLimiterMemory(options);
  }

  /** Throws RATE_LIMITED when the key has no attempts left. */
  async assertAllowed(key: string): Promise<void> {
    const state = await this.limiter.get(key);
    if (state && state.remainingPoints <= 0) throw this.rejected(state);
  }

  /** Failures counted against the key in the current window. */
  async count(key: string): Promise<number> {
    return (await this.limiter.get(key))?.consumedPoints ?? 0;
  }

  /** Counts one failure against the key; the attempt after the last allowed one is refused. */
  async recordFailure(key: string): Promise<void> {
    try {
      await this.limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection; // a store failure, not a refusal
    }
  }

  /** Counts one use against the key and never refuses it: a total that only some callers enforce (assertAllowed). */
  async recordUse(key: string): Promise<void> {
    await this.recordFailure(key);
  }

  /**
   * Counts one use of a quota (e.g. emails sent) and throws RATE_LIMITED once it is spent;
   * returns the uses left in the window after this one.
   */
  async take(key: string): Promise<number> {
    try {
      return (await this.limiter.consume(key)).remainingPoints;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw this.rejected(rejection);
      throw rejection;
    }
  }

  private rejected(state: RateLimiterRes): RateLimitedError {
    this.metrics?.rateLimitRejected(this.name);
    return new RateLimitedError(state.msBeforeNext / 1000);
  }

  async reset(key: string): Promise<void> {
    await this.limiter.delete(key);
  }
}

/** Makes the limiter of one named policy; each feature declares its own policies next to what they protect. */
export type LimiterFactory = (name: string, policy: AttemptPolicy) => AttemptLimiter;

/** Limiters counting in `redis` under `prefix` (in memory without Redis), reporting refusals to `metrics`. */
export function limiterFactory(redis: Redis | undefined, prefix: string, metrics?: RejectionCounter): LimiterFactory {
  return (name, policy) => new AttemptLimiter(name, policy, redis, prefix, metrics);
}
