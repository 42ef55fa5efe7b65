import { performance } from 'node:perf_hooks';
import type { SessionEntity } from './session.entity';
import type { SessionFacts } from './session-events';

/** An account's live sessions as last read, and when (monotonic ms). */
interface CachedList {
  facts: SessionFacts[];
  readAt: number;
}

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
 * - It also keeps each account's list of live sessions (ADR 0009), under the same lease and an
 *   epoch of its own: an ending drops every list that shows an ended session, a sign-in anywhere
 *   (SESSION_ADDED) drops its account's list, and a list is read again after `listMaxAgeMs`, since
 *   activity written by other instances (lastActiveAt) reaches no one's memory.
 */
export class SessionCache {
  private readonly byToken = new Map<string, SessionEntity>();
  private readonly tokenOf = new Map<string, string>();
  private readonly lists = new Map<string, CachedList>();
  /** For each session shown in a cached list, the account whose list shows it. */
  private readonly listedBy = new Map<string, string>();
  private trustedUntil: number;
  private currentEpoch = 0;
  /**
   * The lists' own epoch: bumped by everything that bumps `epoch`, and by sign-ins, which must
   * not bump `epoch` (a sign-in anywhere would turn away every token read in flight here).
   */
  private listEpoch = 0;

  /**
   * @param maxEntries 0 turns the cache off: every check reads the database.
   * @param permanentLease the embedded default (one process, in-process events): endings drop
   *   entries synchronously, so no lease is needed.
   * @param listMaxAgeMs how long an account's list may be served from memory; 0 keeps no lists.
   */
  constructor(
    private readonly maxEntries: number,
    permanentLease: boolean,
    private readonly listMaxAgeMs = 0,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.trustedUntil = permanentLease && maxEntries > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  /** Taken before a list is read from the database, and handed back to `admitList` with it. */
  listReadStamp(): { epoch: number; at: number } {
    return { epoch: this.listEpoch, at: this.clock() };
  }

  get size(): number {
    return this.byToken.size;
  }

  /** Whether entries may be served now. A lapse is noticed here, and the entries go at once. */
  trusted(): boolean {
    if (this.clock() < this.trustedUntil) return true;
    if (this.byToken.size > 0 || this.lists.size > 0) this.clear();
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

  /** Forgets ended sessions, and every list that shows one; reads in flight will not put them back. */
  drop(sessionIds: Iterable<string>): void {
    this.currentEpoch++;
    this.listEpoch++;
    for (const sessionId of sessionIds) {
      const userId = this.listedBy.get(sessionId);
      if (userId !== undefined) this.forgetList(userId);
      const token = this.tokenOf.get(sessionId);
      if (token === undefined) continue;
      this.tokenOf.delete(sessionId);
      this.byToken.delete(token);
    }
  }

  /**
   * The account's live sessions as last read, when the lease allows serving them and the read is
   * younger than listMaxAgeMs. The caller still checks each against its own clock (expiry, idle).
   */
  list(userId: string): SessionFacts[] | undefined {
    if (this.lists.size === 0 || !this.trusted()) return undefined;
    const cached = this.lists.get(userId);
    if (!cached) return undefined;
    if (this.clock() - cached.readAt >= this.listMaxAgeMs) {
      this.forgetList(userId);
      return undefined;
    }
    // Most recently used goes last in the Map's order.
    this.lists.delete(userId);
    this.lists.set(userId, cached);
    return cached.facts;
  }

  /** Stores a list read under `stamp`; refused on the same terms as `admit`. */
  admitList(userId: string, facts: SessionFacts[], stamp: { epoch: number; at: number }): void {
    if (this.listMaxAgeMs === 0 || this.maxEntries === 0 || stamp.epoch !== this.listEpoch || !this.trusted()) return;
    this.forgetList(userId);
    this.lists.set(userId, { facts, readAt: stamp.at });
    for (const session of facts) this.listedBy.set(session.id, userId);
    // Bounded by accounts: a list is small next to the entries of the tokens it shows.
    if (this.lists.size > this.maxEntries) this.forgetList(this.lists.keys().next().value!);
  }

  /** A session was added to the account (SESSION_ADDED): its list is read again, and reads in flight are not kept. */
  forgetListOf(userId: string): void {
    this.listEpoch++;
    this.forgetList(userId);
  }

  /** This instance wrote the session's lastActiveAt: the cached list shows the new time. */
  touched(sessionId: string, lastActiveAt: Date): void {
    const userId = this.listedBy.get(sessionId);
    const cached = userId === undefined ? undefined : this.lists.get(userId);
    if (!cached) return;
    cached.facts = cached.facts.map((session) => (session.id === sessionId ? { ...session, lastActiveAt } : session));
  }

  private forgetList(userId: string): void {
    const cached = this.lists.get(userId);
    if (!cached) return;
    this.lists.delete(userId);
    for (const session of cached.facts) this.listedBy.delete(session.id);
  }

  private clear(): void {
    this.currentEpoch++;
    this.listEpoch++;
    this.byToken.clear();
    this.tokenOf.clear();
    this.lists.clear();
    this.listedBy.clear();
  }
}
