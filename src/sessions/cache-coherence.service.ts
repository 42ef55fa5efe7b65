import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import type { Logger } from '../common/logger';
import type { EventBus } from '../realtime/event-bus';
import type { RedisLeases } from '../realtime/lease';
import type { SessionCache } from './session-cache.service';
import type { SessionBusEvent } from './session-events';

/** "This instance has dropped the sessions of ending `ackId`." */
export interface CacheAck {
  ackId: string;
  instanceId: string;
}

/** Lets the terminator announce an ending; resolves false when the announcement could not go out. */
export type Announce = (ackId: string | undefined) => Promise<boolean>;

/**
 * Keeps every instance's SessionCache coherent with the endings committed anywhere. The
 * terminator calls `confirmEnded` after its commit; when it resolves, no instance serves the
 * ended sessions from memory any more.
 */
export interface CacheCoherence {
  start(): Promise<void>;
  stop(): Promise<void>;
  confirmEnded(sessionIds: string[], committedAt: number, announce: Announce): Promise<void>;
}

/** Drops the ended sessions whenever an ending arrives on the bus, from any instance, and the list of an account that gained one. */
function dropOnEndings(bus: EventBus<SessionBusEvent>, cache: SessionCache, then?: (ackId: string) => void): () => void {
  return bus.subscribe((event) => {
    if (event.type === 'SESSION_ADDED') {
      cache.forgetListOf(event.userId);
      return;
    }
    cache.drop(event.sessionIds);
    if (event.ackId) then?.(event.ackId);
  });
}

/** One process (the embedded default, or a cache that is off): the local drop is the whole story. */
export class LocalCoherence implements CacheCoherence {
  private unsubscribe?: () => void;

  constructor(
    private readonly cache: SessionCache,
    private readonly bus: EventBus<SessionBusEvent>,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = dropOnEndings(this.bus, this.cache);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.cache.revoke();
  }

  async confirmEnded(sessionIds: string[], _committedAt: number, announce: Announce): Promise<void> {
    this.cache.drop(sessionIds);
    await announce(undefined);
  }
}

export interface LeaseTiming {
  /** How long a lease lasts in Redis. */
  leaseMs: number;
  /** Taken off the holder's own view of its lease, and added to every wait for one. */
  marginMs: number;
}

/** What the renewal reads from Postgres: endings committed since the last horizon. */
const ENDED_SINCE = `
SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon,
       (SELECT coalesce(json_agg(id), '[]'::json) FROM sessions WHERE ended_xid >= $1::xid8) AS ended`;

/**
 * Many instances over Redis and Postgres (ADR 0004):
 * - every `leaseMs / 4` the instance reads the endings committed since its last read from
 *   Postgres, drops them, renews its Redis lease and pings its subscriber connection; only when
 *   all of that succeeded does its cache stay trusted, until `start + leaseMs - marginMs`;
 * - an ending published on the bus carries an ack id; each instance drops the sessions and
 *   publishes an ack;
 * - the terminator waits, after commit, until every other lease holder has acked, or until
 *   `commit + leaseMs + marginMs`, after which no instance can still trust a cache whose last
 *   Postgres read preceded the commit (that bound holds even when Redis lost the message, or is
 *   unreachable from the terminator).
 */
export class LeasedCoherence implements CacheCoherence {
  private readonly waiters = new Map<string, (instanceId: string) => void>();
  private readonly cleanups: (() => void)[] = [];
  private horizon: string | null = null;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly cache: SessionCache,
    private readonly dataSource: DataSource,
    private readonly leases: RedisLeases,
    private readonly bus: EventBus<SessionBusEvent>,
    private readonly acks: EventBus<CacheAck>,
    private readonly subscriber: Redis,
    private readonly timing: LeaseTiming,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.cleanups.push(
      dropOnEndings(this.bus, this.cache, (ackId) => {
        if (this.waiters.has(ackId)) return; // our own ending: dropped before it was announced
        this.acks.publish({ ackId, instanceId: this.leases.instanceId }).catch((err) => this.logger.warn({ err }, 'could not acknowledge a session ending'));
      }),
      this.acks.subscribe(({ ackId, instanceId }) => this.waiters.get(ackId)?.(instanceId)),
    );
    await this.renew();
    this.schedule();
  }

  /**
   * Does not wait for a renewal in flight: one stuck on a locked table would hold shutdown for up
   * to half a lease (seen as a timed-out stop under load). The stopped flag keeps its result unused.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const cleanup of this.cleanups) cleanup();
    this.cache.revoke();
    await this.leases.release().catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.renew().finally(() => this.schedule());
    }, this.timing.leaseMs / 4);
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    const startedAt = performance.now();
    const budgetMs = this.timing.leaseMs / 2;
    try {
      const [row] = await bounded(this.dataSource.query<{ horizon: string; ended: string[] }[]>(ENDED_SINCE, [this.horizon]), budgetMs, 'Postgres');
      if (!row) throw new Error('no row from the endings query');
      if (row.ended.length > 0) this.cache.drop(row.ended);
      this.horizon = row.horizon;
      // Renewing after stop() released the lease would make peers wait for an instance that is gone.
      if (this.stopped) return;
      await bounded(Promise.all([this.leases.renew(), this.subscriber.ping()]), budgetMs, 'Redis');
      if (this.stopped) return; // stop() revoked the cache; a late renewal must not trust it again
      this.cache.renewed(startedAt, this.timing.leaseMs - this.timing.marginMs);
      if (this.failing) this.logger.info('session cache lease renewed again');
      this.failing = false;
    } catch (err) {
      // The lease runs out by itself: the cache stops being trusted and token checks read the database.
      if (!this.failing) this.logger.warn({ err }, 'could not renew the session cache lease; checking tokens against the database');
      this.failing = true;
    }
  }

  async confirmEnded(sessionIds: string[], committedAt: number, announce: Announce): Promise<void> {
    this.cache.drop(sessionIds);
    const deadline = committedAt + this.timing.leaseMs + this.timing.marginMs;
    const ackId = randomUUID();
    const acked = new Set<string>();
    let pending: Set<string> | undefined;
    let allAcked: () => void = () => undefined;
    const everyoneAcked = new Promise<void>((resolve) => (allAcked = resolve));
    this.waiters.set(ackId, (instanceId) => {
      acked.add(instanceId);
      if (pending?.delete(instanceId) && pending.size === 0) allAcked();
    });
    let timer: NodeJS.Timeout | undefined;
    const leaseRunsOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - performance.now()))));
    try {
      const [holders, announced] = await Promise.race([Promise.all([this.leases.holders().catch(() => null), announce(ackId)]), leaseRunsOut.then(() => [null, false] as const)]);
      if (holders && announced) {
        pending = new Set(holders.filter((id) => id !== this.leases.instanceId && !acked.has(id)));
        if (pending.size === 0) return;
      }
      // Without the list or the announcement, only the end of every lease is a guarantee.
      await Promise.race([everyoneAcked, leaseRunsOut]);
    } finally {
      clearTimeout(timer);
      this.waiters.delete(ackId);
    }
  }
}

function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
