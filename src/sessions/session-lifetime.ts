import type { Config } from '../config/config';

type LifetimeConfig = Pick<Config, 'sessionIdleTimeoutSeconds' | 'activityWriteIntervalSeconds'>;

/**
 * The instant before which a session's last activity makes it idle at `now` (the database's clock).
 *
 * lastActiveAt is written at most once per ACTIVITY_WRITE_INTERVAL_SECONDS, so it can lag the last
 * real use by up to that interval: a session counts as idle only when lastActiveAt is older than
 * the idle timeout and the interval together. A session in use is never ended as idle; an unused
 * one ends at most one write interval (plus a sweep) late.
 */
export function idleBefore(config: LifetimeConfig, now: Date): Date {
  return new Date(now.getTime() - (config.sessionIdleTimeoutSeconds + config.activityWriteIntervalSeconds) * 1000);
}
