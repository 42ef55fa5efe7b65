import type { DataSource, EntityManager } from 'typeorm';
import { AuditEventType } from '../audit/audit-event.entity';
import type { AuditLog } from '../audit/audit-log';
import type { DatabaseClock } from '../db/clock';
import type { Logger } from '../common/logger';
import { TerminationReason } from './session.entity';
import { snapshotOf, type SessionFacts } from './session-events';
import type { SessionEventHub } from './session-event-hub';
import type { ClientInfo } from './session.service';

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
  /** The device that sent the request; null for the server's own work (expiry). */
  client: ClientInfo | null;
  /** Work that must commit together with the ending, e.g. the new password hash. */
  alongside?: (manager: EntityManager) => Promise<void>;
}

export interface TerminationOutcome {
  sessionIds: string[];
  terminatedAt: Date;
}

const AUDIT_TYPE: Record<TerminationReason, AuditEventType> = {
  [TerminationReason.LOGOUT]: AuditEventType.LOGOUT,
  [TerminationReason.REVOKED]: AuditEventType.SESSION_REVOKED,
  [TerminationReason.SIGNED_OUT_EVERYWHERE]: AuditEventType.OTHER_SESSIONS_REVOKED,
  [TerminationReason.PASSWORD_CHANGED]: AuditEventType.PASSWORD_CHANGED,
  [TerminationReason.PASSWORD_RESET]: AuditEventType.PASSWORD_RESET,
  [TerminationReason.REPORTED_UNRECOGNIZED]: AuditEventType.UNRECOGNIZED_SESSION_REPORTED,
  [TerminationReason.EXPIRED]: AuditEventType.SESSION_EXPIRED,
};

/** These are events in their own right: audited even when no session was left to end. */
const ALWAYS_AUDITED = new Set([TerminationReason.PASSWORD_CHANGED, TerminationReason.PASSWORD_RESET, TerminationReason.REPORTED_UNRECOGNIZED]);

/**
 * The one place that ends sessions, whatever the path: logout, revoke, revoke others, password
 * change and reset, "this wasn't me", expiry. In one transaction it marks the rows (soft revoke)
 * and appends the audit event; after commit it publishes one event that every instance turns into
 * sessionTerminated messages and socket closes. When it returns, the tokens are refused
 * everywhere, because every token check reads the database.
 */
export class SessionTerminator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly hub: SessionEventHub,
    private readonly auditLog: AuditLog,
    private readonly clock: DatabaseClock,
    private readonly logger: Logger,
  ) {}

  async end(request: TerminationRequest, now = this.clock.now()): Promise<TerminationOutcome> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const sessionIds = await this.endLiveTargets(manager, request, now);
      await request.alongside?.(manager);
      if (sessionIds.length > 0 || ALWAYS_AUDITED.has(request.reason)) {
        await this.auditLog.record(
          {
            userId: request.userId,
            type: AUDIT_TYPE[request.reason],
            origin: { client: request.client, actor: request.actor },
            targetSessionIds: sessionIds,
            at: now,
          },
          manager,
        );
      }
      return { sessionIds, terminatedAt: now };
    });
    if (outcome.sessionIds.length > 0) await this.announce(request, outcome);
    return outcome;
  }

  /**
   * Marks the live targets ended in one statement and returns their ids. The row locks the UPDATE
   * takes make two instances ending the same session at once serialize: the second re-checks
   * `revoked_at IS NULL`, finds nothing, and announces nothing.
   */
  private async endLiveTargets(manager: EntityManager, request: TerminationRequest, now: Date): Promise<string[]> {
    const { target } = request;
    if ('sessionIds' in target && target.sessionIds.length === 0) return [];
    const conditions = ['user_id = :userId', 'revoked_at IS NULL'];
    // Expiry ends sessions past expiresAt; every other path ends only live ones.
    if (request.reason !== TerminationReason.EXPIRED) conditions.push('expires_at > :now');
    if ('sessionIds' in target) conditions.push('id IN (:...ids)');
    else if (target.allExcept) conditions.push('id <> :except');
    const [sql, parameters] = this.dataSource.driver.escapeQueryWithParameters(
      `UPDATE sessions SET revoked_at = :now, revoke_reason = :reason, revoked_by_session_id = :actor
       WHERE ${conditions.join(' AND ')} RETURNING id`,
      {
        userId: request.userId,
        now,
        reason: request.reason,
        actor: request.actor?.id ?? null,
        ids: 'sessionIds' in target ? target.sessionIds : [],
        except: 'allExcept' in target ? target.allExcept : null,
      },
      {},
    );
    // Both drivers run UPDATE ... RETURNING (SQLite >= 3.35); the structured result carries the rows either way.
    const result = await (manager.queryRunner as NonNullable<EntityManager['queryRunner']>).query(sql, parameters, true);
    return (result.records as { id: string }[]).map((row) => row.id);
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
