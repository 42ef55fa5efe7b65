import type { DataSource, EntityManager } from 'typeorm';
import { randomUUID } from 'node:crypto';
import type { EndingFacts, EndingSink } from '../sessions/ending-sink';
import { TerminationReason } from '../sessions/session.entity';

/** Outbox rows' event kinds; the SET's event URI follows from it (see set-claims.ts). */
export enum OutboxEventKind {
  SESSION_REVOKED = 'session-revoked',
  VERIFICATION = 'verification',
}

/** Idle sessions end with reason EXPIRED; receivers are told which of the two limits ended it. */
export const IDLE_TIMEOUT = 'IDLE_TIMEOUT';

/** Where a stream asks for session-revoked events (streams hold the URIs they deliver, space-separated). */
const TAKES_SESSION_REVOKED = `s.status <> 'disabled' AND s.events_delivered LIKE '%/session-revoked%'`;

const COLUMNS = 'stream_id, jti, event_type, session_id, user_id, reason, actor_session_id, actor_client_id, event_at, next_attempt_at';

/**
 * The durable outbox of the SSF transmitter, written by the ending itself: one row per ended
 * session and stream that takes session-revoked events, in the same statement (Postgres) or
 * transaction (SQLite) that ends the sessions, so an ending is never committed without its SETs
 * nor a SET without its ending. With no stream, the cost is a scan of the empty streams table
 * inside that statement. Delivery (push and poll) reads the rows later; `committed` wakes it.
 */
export class EndingOutbox implements EndingSink {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly dataSource: DataSource) {}

  /** `listener` runs after each ending that ended something has committed. */
  onCommitted(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  committed(): void {
    for (const listener of this.listeners) listener();
  }

  /**
   * A data-modifying CTE for the terminator's ending statement: `ended` is the CTE of ended
   * sessions (id, expires_at); `param` adds a bind parameter and returns its placeholder.
   */
  postgresCte(ended: string, facts: EndingFacts, param: (value: unknown) => string): string {
    const reason = param(facts.reason);
    const at = param(facts.at);
    return `outboxed AS (
        INSERT INTO ssf_outbox (${COLUMNS}, payload)
        SELECT s.id, gen_random_uuid()::text, '${OutboxEventKind.SESSION_REVOKED}', e.id, ${param(facts.userId)},
          CASE WHEN ${reason}::text = '${TerminationReason.EXPIRED}' AND e.expires_at > ${at}::timestamptz THEN '${IDLE_TIMEOUT}' ELSE ${reason}::text END,
          ${param(facts.actorSessionId)}, ${param(facts.actorClientId)}, ${at}::timestamptz, ${param(facts.dueAt)}::timestamptz, ${param(notePayload(facts))}
        FROM ${ended} e CROSS JOIN ssf_streams s
        WHERE ${TAKES_SESSION_REVOKED}
        ORDER BY s.id, e.id
      )`;
  }

  /** SQLite: the same rows, written inside the ending's transaction. */
  async writeInTransaction(manager: EntityManager, ended: { id: string; expiresAt: Date }[], facts: EndingFacts): Promise<void> {
    if (ended.length === 0) return;
    const streams: { id: string }[] = await manager.query(`SELECT s.id FROM ssf_streams s WHERE ${TAKES_SESSION_REVOKED} ORDER BY s.id`);
    if (streams.length === 0) return;
    const rows: unknown[][] = [];
    for (const stream of streams) {
      for (const session of ended) {
        const reason = facts.reason === TerminationReason.EXPIRED && session.expiresAt.getTime() > facts.at.getTime() ? IDLE_TIMEOUT : facts.reason;
        rows.push([stream.id, randomUUID(), OutboxEventKind.SESSION_REVOKED, session.id, facts.userId, reason, facts.actorSessionId, facts.actorClientId, facts.at, facts.dueAt]);
      }
    }
    await insertRows(
      this.dataSource,
      manager,
      rows,
      rows.map(() => notePayload(facts)),
    );
  }
}

function notePayload(facts: EndingFacts): string | null {
  return facts.note ? JSON.stringify({ note: facts.note }) : null;
}

/** Inserts outbox rows (in COLUMNS order, plus payload when given) with the backend's placeholders. */
export async function insertRows(dataSource: DataSource, manager: EntityManager, rows: unknown[][], payloads?: (string | null)[]): Promise<void> {
  const parameters: Record<string, unknown> = {};
  const tuples = rows.map((row, i) => {
    const names = row.map((value, j) => {
      parameters[`v${i}_${j}`] = value;
      return `:v${i}_${j}`;
    });
    parameters[`p${i}`] = payloads?.[i] ?? null;
    return `(${names.join(', ')}, :p${i})`;
  });
  const [sql, values] = dataSource.driver.escapeQueryWithParameters(`INSERT INTO ssf_outbox (${COLUMNS}, payload) VALUES ${tuples.join(', ')}`, parameters, {});
  await manager.query(sql, values);
}
