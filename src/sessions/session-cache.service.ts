import { performance } from 'node:perf_hooks';
import type { SessionEntity } from './session.entity';

/**
 * This instance's memory of live sessions, keyed by token hash, trusted only while the instance
 * holds a lease (see docs/adr/0004-leased-session-cache.md).
 *
 * - `trusted()` is false once the lease has run out by this process's monotonic clock: a process
 *   that was paused (GC, SIGSTOP) wakes with a lease that has run out, and the first look at it
 *   drops every entry before anything is served.
 * - Every drop and every lapse bumps `epoch`; a database read admits its row only if the epoch is
 *   the one it started under, so a read that raced an ending never re-inserts the ended session.
 * - Bounded: the least recently used entry goes when the cache is full.
 */
export class SessionCache {
  private readonly byToken = new Map<string, SessionEntity>();
  private readonly tokenOf = new Map<string, string>();
  private trustedUntil: number;
  private currentEpoch = 0;

  /**
   * @param maxEntries 0 turns the cache off: every check reads the database.
   * @param permanentLease the embedded default (one process, in-process events): endings drop
   *   entries synchronously, so no lease is needed.
   */
  constructor(
    private readonly maxEntries: number,
    permanentLease: boolean,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.trustedUntil = permanentLease && maxEntries > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  get size(): number {
    return this.byToken.size;
  }

  /** Whether entries may be served now. A lapse is noticed here, and the entries go at once. */
  trusted(): boolean {
    if (this.clock() < this.trustedUntil) return true;
    if (this.byToken.size > 0) this.clear();
    return false;
  }

  /**
   * A renewal that started at `startedAt` (monotonic ms) succeeded and holds until
   * `startedAt + validForMs`. If the previous lease ran out before this answer arrived, endings
   * may have gone unheard meanwhile: the entries go, and the cache starts empty.
   */
  renewed(startedAt: number, validForMs: number): void {
    if (this.clock() >= this.trustedUntil) this.clear();
    this.trustedUntil = startedAt + validForMs;
  }

  /** Stops trusting at once (shutdown, or the lease could not be kept). */
  revoke(): void {
    this.trustedUntil = Number.NEGATIVE_INFINITY;
    this.clear();
  }

  /** The live session for this token hash, when the lease allows serving it. */
  get(tokenHash: string): SessionEntity | undefined {
    if (this.byToken.size === 0 || !this.trusted()) return undefined;
    const session = this.byToken.get(tokenHash);
    if (session) {
      // Most recently used goes last in the Map's order.
      this.byToken.delete(tokenHash);
      this.byToken.set(tokenHash, session);
    }
    return session;
  }

  /** Stores a row read at `epoch`; refused when anything was dropped since, or when not trusted. */
  admit(session: SessionEntity, epoch: number): void {
    if (this.maxEntries === 0 || epoch !== this.currentEpoch || !this.trusted()) return;
    const previous = this.tokenOf.get(session.id);
    if (previous !== undefined) this.byToken.delete(previous);
    this.byToken.set(session.tokenHash, session);
    this.tokenOf.set(session.id, session.tokenHash);
    if (this.byToken.size > this.maxEntries) {
      const [oldestToken, oldest] = this.byToken.entries().next().value as [string, SessionEntity];
      this.byToken.delete(oldestToken);
      this.tokenOf.delete(oldest.id);
    }
  }

  /** The cached row of a session, to keep a field the instance itself changed (confirmedAt) current. */
  peek(sessionId: string): SessionEntity | undefined {
    const token = this.tokenOf.get(sessionId);
    return token === undefined ? undefined : this.byToken.get(token);
  }

  /** Forgets ended sessions; reads in flight will not put them back. */
  drop(sessionIds: Iterable<string>): void {
    this.currentEpoch++;
    for (const sessionId of sessionIds) {
      const token = this.tokenOf.get(sessionId);
      if (token === undefined) continue;
      this.tokenOf.delete(sessionId);
      this.byToken.delete(token);
    }
  }

  private clear(): void {
    this.currentEpoch++;
    this.byToken.clear();
    this.tokenOf.clear();
  }
}
