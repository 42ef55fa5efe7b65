import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import type { Logger } from '../common/logger';
import type { DatabaseClock } from '../db/clock';
import { parseUserAgent } from '../devices/device';
import { locateIp } from '../devices/location';
import type { ClientInfo } from '../devices/client-info';
import { AuditEventEntity, AuditEventType } from './audit-event.entity';
import { cursorInvalid, pageSizeOutOfRange } from './audit.errors';

/** The session that acted, as the audit log names it (any session-like value fits). */
interface AuditActor {
  id: string;
  deviceLabel: string;
  ipAddress: string;
}

/** Where an event came from: the request that caused it, and the session that made it, if any. */
export interface AuditOrigin {
  /** The device that sent the request; null for the server's own work (expiry). */
  client: ClientInfo | null;
  /** The session that acted; null for failed sign-ins, resets and emailed links. */
  actor: AuditActor | null;
  /** The service client that acted (admin actions), named in place of a device. */
  serviceClientId?: string | null;
}

export interface AuditRecord {
  userId: string;
  type: AuditEventType;
  origin: AuditOrigin;
  targetSessionIds?: string[];
  at?: Date;
}

export interface AuditPage {
  events: AuditEventEntity[];
  hasNextPage: boolean;
}

const AUDIT_PAGE_MAX = 100;
/** How long recordLater holds an event before writing it with the others since. */
const BUFFER_MS = 100;

/** The account's append-only security history. */
export class AuditLog {
  private readonly events: Repository<AuditEventEntity>;
  /** Events recordLater holds until the next flush, and the chain of flushes so far. */
  private readonly buffered: AuditEventEntity[] = [];
  private flushTimer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    dataSource: DataSource,
    private readonly clock: DatabaseClock,
    private readonly logger: Logger,
  ) {
    this.events = dataSource.getRepository(AuditEventEntity);
  }

  /** Appends one event; pass the transaction's manager so it commits with the change it describes. */
  async record(record: AuditRecord, manager?: EntityManager): Promise<void> {
    const repository = manager ? manager.getRepository(AuditEventEntity) : this.events;
    await repository.insert(this.eventOf(record));
  }

  /**
   * Buffers one event and writes it with the others of the next BUFFER_MS, in one statement: for
   * failed sign-ins, whose answer must take as long for an unknown address (which records nothing)
   * as for a known one, and which an attack produces by the thousand. The event keeps the time of
   * the attempt; reads of the log on this instance and shutdown write the buffer first (`flush`).
   */
  recordLater(record: AuditRecord): void {
    this.buffered.push(this.eventOf(record));
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flush(), BUFFER_MS);
      this.flushTimer.unref();
    }
  }

  /** Writes what recordLater buffered; resolves once it and every earlier write have committed (or failed and been logged). */
  flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.buffered.splice(0);
    if (batch.length > 0) {
      this.writing = this.writing
        .then(() => this.events.insert(batch))
        .then(
          () => undefined,
          (err: unknown) => this.logger.error({ err, events: batch.length }, 'could not write buffered audit events'),
        );
    }
    return this.writing;
  }

  /**
   * The row `record` becomes, as column name -> value ready for the driver, computed without I/O:
   * for statements that write the event in the same statement as the change it describes.
   */
  rowOf(record: AuditRecord): Map<string, unknown> {
    const event = this.eventOf(record);
    const { driver } = this.events.manager.connection;
    return new Map(this.events.metadata.columns.map((column) => [column.databaseName, driver.preparePersistentValue(column.getEntityValue(event), column)]));
  }

  private eventOf(record: AuditRecord): AuditEventEntity {
    const { client, actor, serviceClientId } = record.origin;
    const ipAddress = client?.ipAddress ?? actor?.ipAddress ?? '0.0.0.0';
    const deviceLabel = serviceClientId ? `service client ${serviceClientId}` : (actor?.deviceLabel ?? (client ? parseUserAgent(client.userAgent).label : 'signoff (automatic)'));
    return this.events.create({
      id: randomUUID(),
      userId: record.userId,
      type: record.type,
      at: record.at ?? this.clock.now(),
      actorSessionId: actor?.id ?? null,
      actorClientId: serviceClientId ?? null,
      ipAddress,
      place: locateIp(ipAddress),
      deviceLabel,
      targetSessionIds: record.targetSessionIds ?? [],
    });
  }

  /** Newest first; `after` is the opaque cursor of the last event of the previous page. */
  async page(userId: string, first: number, after: string | null | undefined): Promise<AuditPage> {
    if (!Number.isInteger(first) || first < 1 || first > AUDIT_PAGE_MAX) {
      throw pageSizeOutOfRange(AUDIT_PAGE_MAX);
    }
    // An owner who just mistyped their password sees that attempt in the list they open next.
    await this.flush();
    const query = this.events
      .createQueryBuilder('e')
      .where('e.user_id = :userId', { userId })
      .orderBy('e.at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(first + 1);
    if (after) {
      const { at, id } = decodeCursor(after);
      query.andWhere('(e.at < :at OR (e.at = :at AND e.id < :id))', { at, id });
    }
    const rows = await query.getMany();
    return { events: rows.slice(0, first), hasNextPage: rows.length > first };
  }
}

export function encodeCursor(event: Pick<AuditEventEntity, 'at' | 'id'>): string {
  return Buffer.from(`${event.at.toISOString()}|${event.id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const [iso, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const at = new Date(iso ?? '');
  if (rest.length || !id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(at.getTime())) {
    throw cursorInvalid();
  }
  return { at, id };
}
