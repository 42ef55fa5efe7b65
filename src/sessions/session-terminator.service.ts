import { performance } from 'node:perf_hooks';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditEventType } from '../audit/audit-event.entity';
import type { AuditLog, AuditRecord } from '../audit/audit-log.service';
import type { DatabaseClock } from '../db/clock';
import type { Logger } from '../common/logger';
import type { Metrics } from '../observability/metrics';
import type { CacheCoherence } from './cache-coherence.service';
import { TerminationReason } from './session.entity';
import { snapshotOf, type SessionFacts } from './session-events';
import type { SessionEventHub } from './session-event-hub.service';
import type { ClientInfo } from '../devices/client-info';
import { isSessionId } from './session.service';
import type { EndingFacts, EndingSink } from './ending-sink';

/** SQLite stores datetimes as UTC text without a zone. */
function sqliteDate(text: string): Date {
  return new Date(`${text.replace(' ', 'T')}Z`);
}

/** Which of an account's sessions to end. */
type TerminationTarget =
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
  /** The service client that asked for it (admin): audited as the actor. */
  serviceClientId?: string;
  /** Support staff's note for the receivers of the SETs (admin endings). */
  note?: string;
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
  [TerminationReason.ACCOUNT_RECLAIMED]: AuditEventType.ACCOUNT_RECLAIMED,
  [TerminationReason.ADMIN_REVOKED]: AuditEventType.ADMIN_SESSIONS_REVOKED,
};

/** Filled in by the ending statement itself, from the ids it ended. */
const TARGETS_COLUMN = 'target_session_ids';

/** These are events in their own right: audited even when no session was left to end. */
const ALWAYS_AUDITED = new Set([
  TerminationReason.PASSWORD_CHANGED,
  TerminationReason.PASSWORD_RESET,
  TerminationReason.REPORTED_UNRECOGNIZED,
  TerminationReason.ACCOUNT_RECLAIMED,
  TerminationReason.ADMIN_REVOKED,
]);

/**
 * The one place that ends sessions, whatever the path: logout, revoke, revoke others, password
 * change and reset, "this wasn't me", expiry and idle timeout, admin. In one statement (Postgres; one
 * transaction on SQLite) it marks the rows (soft revoke), appends the audit event and writes the
 * SSF outbox rows (one SET per ended session and stream, ADR 0007), committed together with any
 * `alongside` work; right after commit it publishes one event that every instance turns into
 * sessionTerminated messages and socket closes. It returns once every instance that could answer
 * a token check from memory has dropped the sessions (or its lease has run out): from then on the
 * tokens are refused everywhere (ADR 0004).
 */
export class SessionTerminator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly hub: SessionEventHub,
    private readonly auditLog: AuditLog,
    private readonly clock: DatabaseClock,
    private readonly logger: Logger,
    private readonly caches: CacheCoherence,
    /** Writes one SET per ended session and SSF stream, in the ending's own statement or transaction. */
    private readonly outbox: EndingSink,
    private readonly metrics?: Metrics,
  ) {}

  async end(request: TerminationRequest, now = this.clock.now()): Promise<TerminationOutcome> {
    const sessionIds = this.dataSource.options.type === 'postgres' ? await this.endOnPostgres(request, now) : await this.endInTransaction(request, now);
    const committedAt = performance.now();
    const outcome = { sessionIds, terminatedAt: now };
    this.metrics?.ended(request.reason, sessionIds.length);
    if (sessionIds.length > 0) {
      this.outbox.committed();
      await this.caches.confirmEnded(sessionIds, committedAt, (ackId) => this.announce(request, outcome, ackId));
    }
    return outcome;
  }

  private audited(request: TerminationRequest, sessionIds: string[]): boolean {
    return ALWAYS_AUDITED.has(request.reason) || sessionIds.length > 0;
  }

  private auditRecord(request: TerminationRequest, sessionIds: string[], now: Date): AuditRecord {
    return {
      userId: request.userId,
      type: AUDIT_TYPE[request.reason],
      origin: { client: request.client, actor: request.actor, serviceClientId: request.serviceClientId ?? null },
      targetSessionIds: sessionIds,
      at: now,
    };
  }

  /**
   * Postgres: the ending and its audit event are one statement (a data-modifying CTE), so without
   * `alongside` work the revocation costs one round trip and one commit.
   */
  private async endOnPostgres(request: TerminationRequest, now: Date): Promise<string[]> {
    const { sql, parameters } = this.endingStatement(request, now);
    const ended = (rows: { id: string }[]) => rows.map((row) => row.id);
    const { alongside } = request;
    if (!alongside) return ended(await this.dataSource.query(sql, parameters));
    return this.dataSource.transaction(async (manager) => {
      const rows: { id: string }[] = await manager.query(sql, parameters);
      await alongside(manager);
      return ended(rows);
    });
  }

  /**
   * `WITH ended AS (UPDATE sessions ... RETURNING id), audited AS (INSERT INTO audit_events ...
   * SELECT ... WHERE <audited>) SELECT id FROM ended`. The row locks the UPDATE takes make two
   * instances ending the same session at once serialize: the second re-checks `revoked_at IS NULL`,
   * finds nothing, and neither audits nor announces anything.
   */
  private endingStatement(request: TerminationRequest, now: Date): { sql: string; parameters: unknown[] } {
    const parameters: unknown[] = [];
    const param = (value: unknown) => `$${parameters.push(value)}`;
    const { target } = request;
    const at = param(now);
    const conditions = [`user_id = ${param(request.userId)}`, 'revoked_at IS NULL'];
    // Expiry ends sessions past expiresAt; every other path ends only live ones.
    if (request.reason !== TerminationReason.EXPIRED) conditions.push(`expires_at > ${at}`);
    if ('sessionIds' in target) conditions.push(`id = ANY(${param(target.sessionIds.filter(isSessionId))}::uuid[])`);
    else if (target.allExcept) conditions.push(`id <> ${param(target.allExcept)}`);

    const row = this.auditLog.rowOf(this.auditRecord(request, [], now));
    const columns = [...row.keys()];
    const values = columns.map((column) => (column === TARGETS_COLUMN ? `coalesce((SELECT string_agg(id::text, ',') FROM ended), '')` : param(row.get(column))));
    const sql = `WITH ended AS (
        UPDATE sessions SET revoked_at = ${at}, revoke_reason = ${param(request.reason)}, revoked_by_session_id = ${param(request.actor?.id ?? null)}
        WHERE ${conditions.join(' AND ')} RETURNING id, expires_at
      ), audited AS (
        INSERT INTO audit_events (${columns.join(', ')}) SELECT ${values.join(', ')}
        WHERE ${ALWAYS_AUDITED.has(request.reason) ? 'true' : 'EXISTS (SELECT 1 FROM ended)'}
      ), ${this.outbox.postgresCte('ended', this.endingFacts(request, now), param)}
      SELECT id FROM ended`;
    return { sql, parameters };
  }

  /** SQLite has no data-modifying CTE: the ending and its audit event are two statements in one transaction. */
  private endInTransaction(request: TerminationRequest, now: Date): Promise<string[]> {
    return this.dataSource.transaction(async (manager) => {
      const ended = await this.endLiveTargets(manager, request, now);
      const sessionIds = ended.map((row) => row.id);
      await this.outbox.writeInTransaction(manager, ended, this.endingFacts(request, now));
      await request.alongside?.(manager);
      if (this.audited(request, sessionIds)) await this.auditLog.record(this.auditRecord(request, sessionIds, now), manager);
      return sessionIds;
    });
  }

  /** Marks the live targets ended in one UPDATE ... RETURNING (SQLite >= 3.35) and returns their ids. */
  private async endLiveTargets(manager: EntityManager, request: TerminationRequest, now: Date): Promise<{ id: string; expiresAt: Date }[]> {
    const { target } = request;
    if ('sessionIds' in target && target.sessionIds.length === 0) return [];
    const conditions = ['user_id = :userId', 'revoked_at IS NULL'];
    if (request.reason !== TerminationReason.EXPIRED) conditions.push('expires_at > :now');
    if ('sessionIds' in target) conditions.push('id IN (:...ids)');
    else if (target.allExcept) conditions.push('id <> :except');
    const [sql, parameters] = this.dataSource.driver.escapeQueryWithParameters(
      `UPDATE sessions SET revoked_at = :now, revoke_reason = :reason, revoked_by_session_id = :actor
       WHERE ${conditions.join(' AND ')} RETURNING id, expires_at`,
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
    const result = await (manager.queryRunner as NonNullable<EntityManager['queryRunner']>).query(sql, parameters, true);
    return (result.records as { id: string; expires_at: string }[]).map((row) => ({ id: row.id, expiresAt: sqliteDate(row.expires_at) }));
  }

  private endingFacts(request: TerminationRequest, now: Date): EndingFacts {
    return {
      userId: request.userId,
      reason: request.reason,
      at: now,
      dueAt: this.clock.now(),
      actorSessionId: request.actor?.id ?? null,
      actorClientId: request.serviceClientId ?? null,
      note: request.note ?? null,
    };
  }

  /** Publishes the ending; false when it could not go out (the caches then wait out their leases). */
  private async announce(request: TerminationRequest, outcome: TerminationOutcome, ackId: string | undefined): Promise<boolean> {
    const event = {
      type: 'SESSIONS_ENDED' as const,
      userId: request.userId,
      sessionIds: outcome.sessionIds,
      reason: request.reason,
      terminatedAt: outcome.terminatedAt.toISOString(),
      terminatedBy: request.actor && !outcome.sessionIds.includes(request.actor.id) ? snapshotOf(request.actor) : null,
      ...(ackId ? { ackId } : {}),
    };
    try {
      await this.hub.publish(event);
      return true;
    } catch (err) {
      // The tokens are refused once the leases run out; the sweeper's reconciliation closes the sockets.
      this.logger.error({ err, sessionIds: outcome.sessionIds }, 'could not publish session termination');
      return false;
    }
  }
}
