import { type DataSource, type EntityManager } from 'typeorm';
import { isPostgres } from '../db/data-source';
import type { Logger } from '../common/logger';
import { SessionEntity, TerminationReason } from './session.entity';
import { snapshotOf, type SessionFacts } from './session-events';
import type { SessionEventHub } from './session-event-hub';

/** Which of an account's sessions to end. */
export type TerminationTarget =
  | { sessionIds: string[] }
  /** Every live session of the account but `except` (null: all of them). */
  | { allExcept: string | null };

export interface TerminationRequest {
  userId: string;
  target: TerminationTarget;
  reason: TerminationReason;
  /** The session that asked for it; null for resets, expiry and emailed links. */
  actor: SessionFacts | null;
}

export interface TerminationOutcome {
  sessionIds: string[];
  terminatedAt: Date;
}

/** Runs inside the ending transaction, e.g. to append the audit event atomically with the change. */
export type TerminationRecorder = (
  manager: EntityManager,
  request: TerminationRequest,
  outcome: TerminationOutcome,
) => Promise<void>;

/**
 * The one place that ends sessions, whatever the path: logout, revoke, revoke others, password
 * change and reset, "this wasn't me", expiry. It marks the rows (soft revoke), commits, then
 * publishes one event that every instance turns into sessionTerminated messages and socket closes.
 * When it returns, the tokens are refused everywhere, because every token check reads the database.
 */
export class SessionTerminator {
  private readonly recorders: TerminationRecorder[] = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly hub: SessionEventHub,
    private readonly logger: Logger,
  ) {}

  /** Adds work that must commit together with every termination. */
  onTerminate(recorder: TerminationRecorder): void {
    this.recorders.push(recorder);
  }

  async end(request: TerminationRequest, now = new Date()): Promise<TerminationOutcome> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const ids = await this.lockLiveTargets(manager, request, now);
      const result: TerminationOutcome = { sessionIds: ids, terminatedAt: now };
      if (ids.length === 0) return result;
      await manager
        .createQueryBuilder()
        .update(SessionEntity)
        .set({ revokedAt: now, revokeReason: request.reason, revokedBySessionId: request.actor?.id ?? null })
        .whereInIds(ids)
        .andWhere('revoked_at IS NULL')
        .execute();
      for (const record of this.recorders) await record(manager, request, result);
      return result;
    });
    if (outcome.sessionIds.length > 0) await this.announce(request, outcome);
    return outcome;
  }

  /**
   * Selects the live targets, locking them on Postgres so that two instances ending the same
   * session at once announce it only once (the loser finds it already ended).
   */
  private async lockLiveTargets(manager: EntityManager, request: TerminationRequest, now: Date): Promise<string[]> {
    const query = manager
      .createQueryBuilder(SessionEntity, 's')
      .select('s.id', 'id')
      .where('s.user_id = :userId', { userId: request.userId })
      .andWhere('s.revoked_at IS NULL');
    if (request.reason !== TerminationReason.EXPIRED) query.andWhere('s.expires_at > :now', { now });
    const { target } = request;
    if ('sessionIds' in target) {
      if (target.sessionIds.length === 0) return [];
      query.andWhere('s.id IN (:...ids)', { ids: target.sessionIds });
    } else if (target.allExcept) {
      query.andWhere('s.id <> :except', { except: target.allExcept });
    }
    if (isPostgres(this.dataSource)) query.setLock('pessimistic_write');
    const rows = await query.getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }

  private async announce(request: TerminationRequest, outcome: TerminationOutcome): Promise<void> {
    const event = {
      type: 'SESSIONS_ENDED' as const,
      userId: request.userId,
      sessionIds: outcome.sessionIds,
      reason: request.reason,
      terminatedAt: outcome.terminatedAt.toISOString(),
      terminatedBy: request.actor && !outcome.sessionIds.includes(request.actor.id) ? snapshotOf(request.actor) : null,
    };
    try {
      await this.hub.publish(event);
    } catch (err) {
      // The tokens are already refused; the sweeper's reconciliation closes the sockets.
      this.logger.error({ err, sessionIds: outcome.sessionIds }, 'could not publish session termination');
    }
  }
}
