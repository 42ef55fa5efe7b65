import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { SecretBox } from '../common/secret-box';
import type { DatabaseClock } from '../db/clock';
import type { ServicePrincipal } from '../service-clients/service-clients.service';
import { EVENTS_SUPPORTED, setClaims, type OutboxRow } from './set-claims';
import type { SetSigner } from './ssf-keys.service';
import { insertRows, OutboxEventKind, type EndingOutbox } from './ssf-outbox.service';
import { endpointProblem } from './receiver-endpoint';
import { runSql } from './sql';

/** RFC 8935 push and RFC 8936 poll, as SSF 1.0 names them. */
export const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';
export const DELIVERY_METHODS = [PUSH, POLL];

type StreamStatus = 'enabled' | 'paused' | 'disabled';
const STATUSES: StreamStatus[] = ['enabled', 'paused', 'disabled'];
const AUTHORIZATION_PURPOSE = 'ssf-stream-authorization';

/** A request the SSF API refuses; the routes answer it with `status` and `{ error, error_description }`. */
export class SsfRequestError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

const notFound = () => new SsfRequestError(404, 'not_found', 'no such stream');
const invalid = (description: string) => new SsfRequestError(400, 'invalid_request', description);

interface StreamRow {
  id: string;
  client_id: string;
  aud: string;
  delivery_method: string;
  endpoint_url: string | null;
  authorization_sealed: string | null;
  events_requested: string;
  events_delivered: string;
  description: string | null;
  status: StreamStatus;
  status_reason: string | null;
}

export interface DeliveryLogEntry {
  jti: string;
  at: string;
  outcome: string;
  http_status: number | null;
  detail: string | null;
}

function words(text: string): string[] {
  return text.split(' ').filter(Boolean);
}

/**
 * SSF 1.0 streams: each belongs to the service client that created it and is invisible to others
 * (another client's stream id answers 404, like a missing one). Push endpoints are chosen by the
 * receiver (see receiver-endpoint.ts for the SSRF rule); poll streams get our own poll URL.
 */
export class SsfStreams {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: DatabaseClock,
    private readonly box: SecretBox,
    private readonly keys: SetSigner,
    private readonly outbox: EndingOutbox,
    private readonly options: { issuer: string; allowPrivateReceivers: boolean },
  ) {}

  private sql<Row = Record<string, unknown>>(text: string, parameters: Record<string, unknown> = {}): Promise<Row[]> {
    return runSql<Row>(this.dataSource, this.dataSource, text, parameters);
  }

  pollUrl(streamId: string): string {
    return `${this.options.issuer}/ssf/poll/${streamId}`;
  }

  /** The stream configuration as SSF 1.0 §8.1.1 shows it; the authorization header is write-only. */
  private present(row: StreamRow): Record<string, unknown> {
    return {
      stream_id: row.id,
      iss: this.options.issuer,
      aud: row.aud,
      delivery: { method: row.delivery_method, endpoint_url: row.delivery_method === POLL ? this.pollUrl(row.id) : row.endpoint_url },
      events_supported: EVENTS_SUPPORTED,
      events_requested: words(row.events_requested),
      events_delivered: words(row.events_delivered),
      ...(row.description ? { description: row.description } : {}),
    };
  }

  private async owned(principal: ServicePrincipal, streamId: unknown): Promise<StreamRow> {
    if (typeof streamId !== 'string' || streamId.length > 64) throw notFound();
    const [row] = await this.sql<StreamRow>(`SELECT * FROM ssf_streams WHERE id = :id AND client_id = :client`, { id: streamId, client: principal.clientId });
    if (!row) throw notFound();
    return row;
  }

  /** Reads and checks the receiver-supplied parts of a configuration. */
  private receiverFields(body: Record<string, unknown>, current?: StreamRow) {
    const delivery = (body.delivery ?? (current ? undefined : { method: PUSH })) as Record<string, unknown> | undefined;
    if (delivery !== undefined && (typeof delivery !== 'object' || delivery === null)) throw invalid('delivery must be an object');
    const method = delivery ? delivery.method : current?.delivery_method;
    if (typeof method !== 'string' || !DELIVERY_METHODS.includes(method)) throw invalid(`delivery.method must be one of ${DELIVERY_METHODS.join(', ')}`);
    let endpointUrl: string | null = null;
    if (method === PUSH) {
      const raw = delivery ? delivery.endpoint_url : current?.endpoint_url;
      const problem = endpointProblem(raw, this.options.allowPrivateReceivers);
      if (problem) throw invalid(problem);
      endpointUrl = raw as string;
    }
    const authorization = delivery?.authorization_header;
    if (authorization !== undefined && (typeof authorization !== 'string' || authorization.length > 4096 || /[\r\n]/.test(authorization))) {
      throw invalid('delivery.authorization_header must be a header value');
    }
    const requested = body.events_requested ?? (current ? words(current.events_requested) : EVENTS_SUPPORTED);
    if (!Array.isArray(requested) || requested.some((uri) => typeof uri !== 'string' || uri.includes(' '))) throw invalid('events_requested must be a list of event URIs');
    const description = body.description ?? current?.description ?? null;
    if (description !== null && (typeof description !== 'string' || description.length > 1024)) throw invalid('description must be a string');
    return {
      method,
      endpointUrl,
      authorizationSealed:
        typeof authorization === 'string'
          ? this.box.seal(authorization, AUTHORIZATION_PURPOSE)
          : delivery && method !== current?.delivery_method
            ? null
            : (current?.authorization_sealed ?? null),
      requested: requested as string[],
      delivered: (requested as string[]).filter((uri) => EVENTS_SUPPORTED.includes(uri)),
      description,
    };
  }

  async create(principal: ServicePrincipal, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const fields = this.receiverFields(body);
    const id = randomUUID();
    const now = this.clock.now();
    await this.sql(
      `INSERT INTO ssf_streams (id, client_id, aud, delivery_method, endpoint_url, authorization_sealed, events_requested, events_delivered, description, status, status_reason, created_at, updated_at)
       VALUES (:id, :client, :aud, :method, :endpoint, :authorization, :requested, :delivered, :description, 'enabled', NULL, :now, :now)`,
      {
        id,
        client: principal.clientId,
        aud: principal.clientId,
        method: fields.method,
        endpoint: fields.endpointUrl,
        authorization: fields.authorizationSealed,
        requested: fields.requested.join(' '),
        delivered: fields.delivered.join(' '),
        description: fields.description,
        now,
      },
    );
    return this.present(await this.owned(principal, id));
  }

  async read(principal: ServicePrincipal, streamId: unknown): Promise<Record<string, unknown>> {
    return this.present(await this.owned(principal, streamId));
  }

  async list(principal: ServicePrincipal): Promise<Record<string, unknown>[]> {
    const rows = await this.sql<StreamRow>(`SELECT * FROM ssf_streams WHERE client_id = :client ORDER BY created_at, id`, { client: principal.clientId });
    return rows.map((row) => this.present(row));
  }

  /** PATCH merges into the current configuration, PUT replaces the receiver-supplied parts. */
  async update(principal: ServicePrincipal, body: Record<string, unknown>, replace: boolean): Promise<Record<string, unknown>> {
    const current = await this.owned(principal, body.stream_id);
    const fields = this.receiverFields(body, replace ? undefined : current);
    await this.sql(
      `UPDATE ssf_streams SET delivery_method = :method, endpoint_url = :endpoint, authorization_sealed = :authorization, events_requested = :requested,
         events_delivered = :delivered, description = :description, updated_at = :now WHERE id = :id`,
      {
        id: current.id,
        method: fields.method,
        endpoint: fields.endpointUrl,
        authorization: fields.authorizationSealed,
        requested: fields.requested.join(' '),
        delivered: fields.delivered.join(' '),
        description: fields.description,
        now: this.clock.now(),
      },
    );
    return this.present(await this.owned(principal, current.id));
  }

  /** Deletes the stream with its undelivered SETs and delivery log. */
  async remove(principal: ServicePrincipal, streamId: unknown): Promise<void> {
    const row = await this.owned(principal, streamId);
    await this.sql(`DELETE FROM ssf_outbox WHERE stream_id = :id`, { id: row.id });
    await this.sql(`DELETE FROM ssf_deliveries WHERE stream_id = :id`, { id: row.id });
    await this.sql(`DELETE FROM ssf_streams WHERE id = :id`, { id: row.id });
  }

  async status(principal: ServicePrincipal, streamId: unknown): Promise<Record<string, unknown>> {
    const row = await this.owned(principal, streamId);
    return { stream_id: row.id, status: row.status, ...(row.status_reason ? { reason: row.status_reason } : {}) };
  }

  /**
   * enabled: delivered; paused: ended sessions still queue their SETs, delivered once enabled again;
   * disabled: nothing is queued (SSF 1.0 §8.1.2).
   */
  async setStatus(principal: ServicePrincipal, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const row = await this.owned(principal, body.stream_id);
    if (!STATUSES.includes(body.status as StreamStatus)) throw invalid(`status must be one of ${STATUSES.join(', ')}`);
    const reason = typeof body.reason === 'string' ? body.reason.slice(0, 1024) : null;
    await this.sql(`UPDATE ssf_streams SET status = :status, status_reason = :reason, updated_at = :now WHERE id = :id`, {
      id: row.id,
      status: body.status,
      reason,
      now: this.clock.now(),
    });
    if (body.status === 'enabled') this.outbox.committed();
    return this.status(principal, row.id);
  }

  /** Queues a verification SET (SSF 1.0 §8.1.4) behind the stream's other events. */
  async requestVerification(principal: ServicePrincipal, body: Record<string, unknown>): Promise<void> {
    const row = await this.owned(principal, body.stream_id);
    if (body.state !== undefined && (typeof body.state !== 'string' || body.state.length > 1024)) throw invalid('state must be a string');
    const now = this.clock.now();
    await insertRows(
      this.dataSource,
      this.dataSource.manager,
      [[row.id, randomUUID(), OutboxEventKind.VERIFICATION, null, null, null, null, principal.clientId, now, now]],
      [JSON.stringify(body.state === undefined ? {} : { state: body.state })],
    );
    this.outbox.committed();
  }

  /** The stream's delivery log, newest first. */
  async deliveries(principal: ServicePrincipal, streamId: unknown, limit = 100): Promise<DeliveryLogEntry[]> {
    const row = await this.owned(principal, streamId);
    const entries = await this.sql<Omit<DeliveryLogEntry, 'at'> & { at: Date | string }>(
      `SELECT jti, at, outcome, http_status, detail FROM ssf_deliveries WHERE stream_id = :id ORDER BY id DESC LIMIT ${Math.min(Math.max(1, limit), 1000)}`,
      { id: row.id },
    );
    return entries.map((entry) => ({ ...entry, at: entry.at instanceof Date ? entry.at.toISOString() : new Date(`${String(entry.at).replace(' ', 'T')}Z`).toISOString() }));
  }

  async log(streamId: string, jti: string, outcome: string, httpStatus: number | null, detail: string | null): Promise<void> {
    await this.sql(`INSERT INTO ssf_deliveries (stream_id, jti, at, outcome, http_status, detail) VALUES (:stream, :jti, :at, :outcome, :status, :detail)`, {
      stream: streamId,
      jti,
      at: this.clock.now(),
      outcome,
      status: httpStatus,
      detail: detail?.slice(0, 500) ?? null,
    });
  }

  /**
   * RFC 8936 poll: acknowledges `ack`, records `setErrs`, then returns up to `maxEvents` pending
   * SETs in order; a SET stays available until acknowledged. Long-polls up to `waitMs` when
   * nothing is pending and `returnImmediately` is false.
   */
  async poll(principal: ServicePrincipal, streamId: string, body: Record<string, unknown>, waitMs: number): Promise<{ sets: Record<string, string>; moreAvailable: boolean }> {
    const row = await this.owned(principal, streamId);
    if (row.delivery_method !== POLL) throw invalid('this stream delivers by push');
    const acks = Array.isArray(body.ack) ? body.ack.filter((jti): jti is string => typeof jti === 'string').slice(0, 1000) : [];
    const errors = body.setErrs && typeof body.setErrs === 'object' ? Object.entries(body.setErrs as Record<string, unknown>).slice(0, 1000) : [];
    const now = this.clock.now();
    for (const jti of acks) {
      const done = await this.sql<{ jti: string }>(
        `UPDATE ssf_outbox SET state = 'acknowledged', done_at = :now WHERE stream_id = :id AND jti = :jti AND state = 'pending' RETURNING jti`,
        { id: row.id, jti, now },
      );
      if (done.length) await this.log(row.id, jti, 'acknowledged', null, null);
    }
    for (const [jti, error] of errors) {
      const done = await this.sql<{ jti: string }>(
        `UPDATE ssf_outbox SET state = 'rejected', done_at = :now, last_error = :error WHERE stream_id = :id AND jti = :jti AND state = 'pending' RETURNING jti`,
        { id: row.id, jti, now, error: JSON.stringify(error).slice(0, 500) },
      );
      if (done.length) await this.log(row.id, jti, 'rejected', null, JSON.stringify(error));
    }
    const maxEvents = typeof body.maxEvents === 'number' && Number.isInteger(body.maxEvents) ? Math.min(Math.max(body.maxEvents, 0), 1000) : 100;
    const deadline = Date.now() + (body.returnImmediately === false ? waitMs : 0);
    for (;;) {
      const pending = maxEvents === 0 || row.status !== 'enabled' ? [] : await this.pending(row.id, maxEvents + 1);
      if (pending.length > 0 || Date.now() >= deadline) {
        const sets: Record<string, string> = {};
        for (const outboxRow of pending.slice(0, maxEvents)) sets[outboxRow.jti] = await this.keys.sign(setClaims(outboxRow, this.options.issuer, row.aud));
        return { sets, moreAvailable: pending.length > maxEvents };
      }
      await this.nextCommit(Math.min(1000, deadline - Date.now()));
    }
  }

  private pending(streamId: string, limit: number): Promise<OutboxRow[]> {
    return this.sql<OutboxRow>(`SELECT * FROM ssf_outbox WHERE stream_id = :id AND state = 'pending' ORDER BY seq LIMIT ${limit}`, { id: streamId });
  }

  /** Resolves at the next ending committed on this instance, or after `ms` (endings elsewhere are seen on the next look). */
  private nextCommit(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      const unsubscribe = this.outbox.onCommitted(done);
      function done() {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      }
    });
  }

  /** The authorization header a push stream's receiver asked us to send. */
  authorizationOf(sealed: string | null): string | null {
    return sealed ? this.box.open(sealed, AUTHORIZATION_PURPOSE) : null;
  }
}
