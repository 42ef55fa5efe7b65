import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../common/logger';
import type { DatabaseClock } from '../db/clock';
import { postSet } from './receiver-endpoint';
import { setClaims, type OutboxRow } from './set-claims';
import type { SetSigner } from './ssf-keys.service';
import type { EndingOutbox } from './ssf-outbox.service';
import { PUSH, type SsfStreams } from './ssf-streams.service';
import { runSql } from './sql';

export interface PushOptions {
  issuer: string;
  intervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  allowPrivateReceivers: boolean;
}

/**
 * SETs sent under one claim (one transaction on Postgres) before committing: fewer round trips
 * per SET, and at most this many sent again if the instance dies mid-claim.
 */
const SETS_PER_CLAIM = 20;

/** Streams one instance pushes to at the same time. */
const STREAMS_AT_ONCE = 4;

interface ClaimedStream {
  id: string;
  aud: string;
  endpoint_url: string;
  authorization_sealed: string | null;
}

/** A push that did not land, and whether trying the same SET again can help. */
type Outcome = { delivered: true; status: number } | { delivered: false; retry: boolean; status: number | null; detail: string };

/**
 * RFC 8935 push delivery from the outbox, one worker per instance. Each stream is delivered in
 * order, one SET at a time, by one instance at a time: on Postgres each SET is sent inside a
 * transaction holding the stream's row (`FOR NO KEY UPDATE SKIP LOCKED`, so another instance skips the
 * stream rather than waiting; not `FOR UPDATE`, which would also block the foreign-key check of every
 * ending's outbox insert, making revocations wait on a slow receiver) and marked delivered in that transaction (up to SETS_PER_CLAIM
 * per transaction). An instance killed
 * mid-delivery loses nothing: its transaction rolls back, the lock goes with its connection,
 * and another instance sends the SET again (receivers drop repeats by jti, RFC 8935 §2). A
 * failed push blocks its stream (order) and is retried with exponential backoff; a receiver's
 * 4xx refusal (other than 408/429) is final, logged, and the stream moves on.
 */
export class SsfPushDelivery {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly unsubscribe: () => void;
  /** SQLite: one process, so an in-process claim is enough. */
  private readonly localClaims = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: DatabaseClock,
    private readonly keys: SetSigner,
    private readonly streams: SsfStreams,
    outbox: EndingOutbox,
    private readonly options: PushOptions,
    private readonly logger: Logger,
  ) {
    this.unsubscribe = outbox.onCommitted(() => this.nudge());
  }

  start(): void {
    this.timer = setInterval(() => this.nudge(), this.options.intervalMs);
    this.timer.unref();
    this.nudge();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    clearInterval(this.timer);
    for (const timer of this.retryTimers) clearTimeout(timer);
    await this.running;
  }

  /** Runs a pass now, or right after the one in progress. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pass().catch((err) => this.logger.error({ err }, 'SSF push pass failed'));
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = undefined));
  }

  /** A pass when a retry falls due, rather than at the next interval. */
  private retryIn(ms: number): void {
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.nudge();
    }, ms + 5);
    timer.unref();
    this.retryTimers.add(timer);
  }

  /** Resolves once no pass is running (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private sql<Row>(executor: DataSource | EntityManager, text: string, parameters: Record<string, unknown> = {}): Promise<Row[]> {
    return runSql<Row>(this.dataSource, executor, text, parameters);
  }

  /** Streams whose oldest pending SET is due. */
  private async dueStreams(): Promise<string[]> {
    const rows = await this.sql<{ stream_id: string }>(
      this.dataSource,
      `SELECT o.stream_id FROM ssf_outbox o JOIN ssf_streams s ON s.id = o.stream_id
       WHERE s.status = 'enabled' AND s.delivery_method = :push AND o.state = 'pending' AND o.next_attempt_at <= :now
         AND o.seq = (SELECT min(h.seq) FROM ssf_outbox h WHERE h.stream_id = o.stream_id AND h.state = 'pending')`,
      { push: PUSH, now: this.clock.now() },
    );
    return rows.map((row) => row.stream_id);
  }

  private async pass(): Promise<void> {
    const due = await this.dueStreams();
    // A few streams at a time: each holds a pooled connection while it pushes, and requests need the pool too.
    let next = 0;
    const worker = async () => {
      while (next < due.length) await this.drain(due[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(STREAMS_AT_ONCE, due.length) }, worker));
  }

  /** Sends the stream's SETs in order until none is due, a push fails, or another instance holds it. */
  private async drain(streamId: string): Promise<void> {
    while (!this.stopped) {
      const progressed = await this.withClaim(streamId, async (executor, stream) => {
        let sent = 0;
        while (sent < SETS_PER_CLAIM && !this.stopped && (await this.sendHead(executor, stream))) sent++;
        return sent === SETS_PER_CLAIM;
      });
      if (!progressed) return;
    }
  }

  private async withClaim(streamId: string, work: (executor: DataSource | EntityManager, stream: ClaimedStream) => Promise<boolean>): Promise<boolean> {
    const claimSql = `SELECT id, aud, endpoint_url, authorization_sealed FROM ssf_streams WHERE id = :id AND status = 'enabled' AND delivery_method = :push`;
    if (this.dataSource.options.type !== 'postgres') {
      if (this.localClaims.has(streamId)) return false;
      this.localClaims.add(streamId);
      try {
        const [stream] = await this.sql<ClaimedStream>(this.dataSource, claimSql, { id: streamId, push: PUSH });
        return stream ? await work(this.dataSource, stream) : false;
      } finally {
        this.localClaims.delete(streamId);
      }
    }
    return this.dataSource.transaction(async (manager) => {
      const [stream] = await this.sql<ClaimedStream>(manager, `${claimSql} FOR NO KEY UPDATE SKIP LOCKED`, { id: streamId, push: PUSH });
      return stream ? work(manager, stream) : false;
    });
  }

  /** Sends the stream's oldest pending SET if it is due; true when it is done with (delivered or refused for good). */
  private async sendHead(executor: DataSource | EntityManager, stream: ClaimedStream): Promise<boolean> {
    const now = this.clock.now();
    const [head] = await this.sql<OutboxRow & { attempts: number; next_attempt_at: Date | string }>(
      executor,
      `SELECT * FROM ssf_outbox WHERE stream_id = :id AND state = 'pending' ORDER BY seq LIMIT 1`,
      { id: stream.id },
    );
    if (!head || toDate(head.next_attempt_at).getTime() > now.getTime()) return false;
    const outcome = await this.push(stream, head);
    const at = this.clock.now();
    if (outcome.delivered || !outcome.retry) {
      const state = outcome.delivered ? 'delivered' : 'rejected';
      await this.sql(executor, `UPDATE ssf_outbox SET state = :state, attempts = attempts + 1, done_at = :at, last_error = :error WHERE seq = :seq`, {
        state,
        at,
        error: outcome.delivered ? null : outcome.detail,
        seq: head.seq,
      });
      await this.log(executor, stream.id, head.jti, state, outcome.status, outcome.delivered ? null : outcome.detail, at);
      return true;
    }
    const attempts = Number(head.attempts) + 1;
    const delay = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** Math.min(attempts - 1, 30));
    await this.sql(executor, `UPDATE ssf_outbox SET attempts = :attempts, next_attempt_at = :next, last_error = :error WHERE seq = :seq`, {
      attempts,
      next: new Date(at.getTime() + delay),
      error: outcome.detail,
      seq: head.seq,
    });
    await this.log(executor, stream.id, head.jti, 'retry', outcome.status, outcome.detail, at);
    this.retryIn(delay);
    this.logger.info({ streamId: stream.id, jti: head.jti, attempts, retryInMs: delay, detail: outcome.detail }, 'SSF push failed; will retry');
    return false;
  }

  private async push(stream: ClaimedStream, row: OutboxRow): Promise<Outcome> {
    try {
      const set = await this.keys.sign(setClaims(row, this.options.issuer, stream.aud));
      const { status, body } = await postSet(stream.endpoint_url, set, {
        authorization: this.streams.authorizationOf(stream.authorization_sealed),
        timeoutMs: this.options.timeoutMs,
        allowPrivate: this.options.allowPrivateReceivers,
      });
      if (status >= 200 && status < 300) return { delivered: true, status };
      const retry = status >= 500 || status === 408 || status === 429 || status < 200;
      return { delivered: false, retry, status, detail: `HTTP ${status} ${body.slice(0, 200)}` };
    } catch (err) {
      return { delivered: false, retry: true, status: null, detail: err instanceof Error ? err.message : String(err) };
    }
  }

  private log(executor: DataSource | EntityManager, streamId: string, jti: string, outcome: string, status: number | null, detail: string | null, at: Date): Promise<unknown> {
    return this.sql(executor, `INSERT INTO ssf_deliveries (stream_id, jti, at, outcome, http_status, detail) VALUES (:stream, :jti, :at, :outcome, :status, :detail)`, {
      stream: streamId,
      jti,
      at,
      outcome,
      status,
      detail: detail?.slice(0, 500) ?? null,
    });
  }
}

function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(/[zZ+]/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
}
