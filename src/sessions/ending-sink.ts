import type { EntityManager } from 'typeorm';
import type { TerminationReason } from './session.entity';

/** What every record written for one ending shares (the SSF outbox turns it into SETs). */
export interface EndingFacts {
  userId: string;
  reason: TerminationReason;
  at: Date;
  /** When delivery may start: the real time of the ending (`at` may be a sweep's chosen time). */
  dueAt: Date;
  actorSessionId: string | null;
  actorClientId: string | null;
  /** Support staff's note (admin endings), carried in reason_admin. */
  note?: string | null;
}

/**
 * Where the SessionTerminator writes, inside the ending's own statement or transaction, what must
 * commit with the ending (the SSF outbox, ADR 0007). Declared here, implemented above (ssf/), so
 * sessions/ depends on no feature that builds on it.
 */
export interface EndingSink {
  /** A data-modifying CTE for the Postgres ending statement: `ended` is the CTE of ended sessions (id, expires_at). */
  postgresCte(ended: string, facts: EndingFacts, param: (value: unknown) => string): string;
  /** The same rows, written in the SQLite ending transaction. */
  writeInTransaction(manager: EntityManager, ended: { id: string; expiresAt: Date }[], facts: EndingFacts): Promise<void>;
  /** Called after each ending that ended something has committed. */
  committed(): void;
}
