import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { IsNull, MoreThan, type DataSource, type Repository } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { Config } from '../config/config';
import type { DatabaseClock } from '../db/clock';
import { rethrowAsUnavailable } from '../db/outage';
import type { ClientInfo } from '../devices/client-info';
import { describeDevice, tidy, type DeclaredDevice } from '../devices/device';
import { locateIp } from '../devices/location';
import { hashToken, newOpaqueToken } from '../common/secrets';
import { SessionEntity, SessionFlag } from './session.entity';
import type { SessionCache } from './session-cache.service';
import { idleBefore } from './session-lifetime';
import type { SessionEventHub } from './session-event-hub.service';
import type { SessionFacts } from './session-events';

const TOKEN_PREFIX = 'so';
const TOKEN_SHAPE = /^so_[A-Za-z0-9_-]{43}$/;
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isSessionId(value: string): boolean {
  return UUID_SHAPE.test(value);
}

/**
 * The account's live sessions, newest first, with only the columns shown to their owner. Same
 * conditions as `liveAt` (not ended, not expired, not idle). `:name` parameters are bound by the
 * driver of either backend; no `::` casts, which that binding would take for parameters.
 */
const LIST_LIVE_SQL = `
  SELECT id, device_type, device_os, device_browser, device_model, device_label, device_name, device_platform, device_app_version, ip_address,
         country_code, country, region, city, flags, created_at, last_active_at, expires_at
    FROM sessions
   WHERE user_id = :userId AND revoked_at IS NULL AND expires_at > :now AND last_active_at > :idleBefore
   ORDER BY created_at DESC, id DESC`;

/** Name of the prepared statement on each pooled Postgres connection (parsed and planned once per connection). */
const LIST_LIVE_STATEMENT = 'sessions_list_live';

type ListedRow = Record<string, unknown>;

/** The listed fields besides id and place; factsOf maps each, so a field missing here does not compile. */
const LISTED_FIELDS = [
  'deviceType',
  'deviceOs',
  'deviceBrowser',
  'deviceModel',
  'deviceLabel',
  'deviceName',
  'devicePlatform',
  'deviceAppVersion',
  'ipAddress',
  'flags',
  'createdAt',
  'lastActiveAt',
  'expiresAt',
] as const satisfies readonly (keyof SessionFacts)[];
type ListedField = (typeof LISTED_FIELDS)[number];
const PLACE_FIELDS = ['countryCode', 'country', 'region', 'city'] as const;
type PlaceField = (typeof PLACE_FIELDS)[number];

/** Creating sessions at sign-in, checking bearer tokens, and reading an account's live sessions. */
export class SessionService {
  private readonly sessions: Repository<SessionEntity>;
  /** Column metadata of what the list returns, for the driver's own conversion of each raw value. */
  private readonly listedColumns: Record<ListedField, ColumnMetadata>;
  private readonly placeColumns: Record<PlaceField, ColumnMetadata>;

  constructor(
    dataSource: DataSource,
    private readonly config: Config,
    private readonly hub: SessionEventHub,
    private readonly clock: DatabaseClock,
    private readonly cache: SessionCache,
  ) {
    this.sessions = dataSource.getRepository(SessionEntity);
    const columns = <K extends string>(names: readonly K[], pathOf: (name: K) => string) =>
      Object.fromEntries(
        names.map((name) => {
          const found = this.sessions.metadata.findColumnWithPropertyPath(pathOf(name));
          if (!found) throw new Error(`SessionEntity has no column ${pathOf(name)}`);
          return [name, found];
        }),
      ) as Record<K, ColumnMetadata>;
    this.listedColumns = columns(LISTED_FIELDS, (name) => name);
    this.placeColumns = columns(PLACE_FIELDS, (name) => `place.${name}`);
  }

  /** Opens a session for a user who just proved who they are; the token is returned only here. */
  async open(userId: string, client: ClientInfo, now = this.clock.now()): Promise<{ token: string; session: SessionEntity }> {
    const device = describeDevice(client.userAgent, client.device);
    const declared = client.device;
    const location = locateIp(client.ipAddress);
    const token = newOpaqueToken(TOKEN_PREFIX);
    const session = this.sessions.create({
      id: randomUUID(),
      userId,
      tokenHash: hashToken(token),
      userAgent: client.userAgent.slice(0, 512),
      deviceType: device.type,
      deviceOs: device.os,
      deviceBrowser: device.browser,
      deviceModel: device.model,
      deviceLabel: device.label,
      deviceName: tidy(declared?.name),
      devicePlatform: tidy(declared?.platform),
      deviceAppVersion: tidy(declared?.appVersion),
      ipAddress: client.ipAddress,
      place: location,
      flags: await this.unfamiliarity(userId, device.label, declared, location.countryCode),
      createdAt: now,
      lastActiveAt: now,
      expiresAt: new Date(now.getTime() + this.config.sessionTtlSeconds * 1000),
      confirmedAt: now,
      revokedAt: null,
      revokeReason: null,
      revokedBySessionId: null,
    });
    const epoch = this.cache.epoch;
    await this.sessions.insert(session);
    // Warm: the device's next request is answered from memory (unless an ending arrived meanwhile).
    this.cache.admit(session, epoch);
    // The account's list here is read again (and a read of it in flight is not kept).
    this.cache.forgetListOf(userId);
    await this.hub.announce({ type: 'SESSION_ADDED', userId, sessionId: session.id });
    return { token, session };
  }

  /** A first sign-in is not unfamiliar; later ones are compared with every earlier sign-in, ended or not. */
  private async unfamiliarity(userId: string, deviceLabel: string, declared: DeclaredDevice | null | undefined, countryCode: string | null): Promise<SessionFlag[]> {
    const earlier = await this.sessions.count({ where: { userId } });
    if (earlier === 0) return [];
    const flags: SessionFlag[] = [];
    // A device that named itself is the same device after an app update (its label carries the version).
    const name = tidy(declared?.name);
    const sameDevice = name ? { deviceName: name, devicePlatform: tidy(declared?.platform) ?? IsNull() } : { deviceLabel };
    if (!(await this.sessions.exists({ where: { userId, ...sameDevice } }))) flags.push(SessionFlag.NEW_DEVICE);
    if (countryCode && !(await this.sessions.exists({ where: { userId, place: { countryCode } } }))) flags.push(SessionFlag.NEW_LOCATION);
    return flags;
  }

  /**
   * The one token check, for HTTP requests and WebSocket connections alike. From memory while
   * this instance holds its cache lease, from the database otherwise (ADR 0004): an ending is not
   * complete until every instance that could answer from memory has dropped the session.
   */
  async authenticate(token: string | undefined | null, now?: Date): Promise<SessionEntity | null> {
    // A token that cannot be checked is never accepted: the caller gets SERVICE_UNAVAILABLE (HTTP 503, WebSocket 1013).
    const at = now ?? this.clock.now();
    const session = await this.liveSessionOf(token, at).catch(rethrowAsUnavailable);
    if (session) await this.touch(session, at).catch(rethrowAsUnavailable);
    return session;
  }

  /**
   * The same check as `authenticate` (same cache, same lease, same guarantee: refused the moment an
   * ending returned), without counting as activity: for token introspection by a service, which is
   * not the device using its session.
   */
  inspect(token: string | undefined | null, now?: Date): Promise<SessionEntity | null> {
    return this.liveSessionOf(token, now ?? this.clock.now()).catch(rethrowAsUnavailable);
  }

  private async liveSessionOf(token: string | undefined | null, now: Date): Promise<SessionEntity | null> {
    if (!token || !TOKEN_SHAPE.test(token)) return null;
    const tokenHash = hashToken(token);
    const cached = this.cache.get(tokenHash);
    if (cached) {
      if (cached.expiresAt.getTime() > now.getTime() && cached.lastActiveAt.getTime() > idleBefore(this.config, now).getTime()) {
        return cached;
      }
      // Over its end or idle by this clock (another instance may have seen it used since): the database decides.
      this.cache.drop([cached.id]);
    }
    const epoch = this.cache.epoch;
    const session = await this.sessions.findOne({ where: { tokenHash, ...this.liveAt(now) } });
    if (!session) return null;
    this.cache.admit(session, epoch);
    return session;
  }

  /** The cache's epoch: read it before `authenticate`, then pass it to `stillLive`. */
  get cacheEpoch(): number {
    return this.cache.epoch;
  }

  /**
   * After a socket registered: could its session have ended between the check and the
   * registration? Not if nothing was dropped from a trusted cache since `epoch` (any ending that
   * arrives later finds the socket); otherwise ask the database.
   */
  async stillLive(sessionId: string, epoch: number): Promise<boolean> {
    if (this.cache.trusted() && this.cache.epoch === epoch) return true;
    return this.isLive(sessionId).catch(rethrowAsUnavailable);
  }

  /**
   * lastActiveAt is written at most once per interval: a write per request would double the cost
   * of reads. The shared row is marked first, so concurrent requests do not write it again.
   */
  private async touch(session: SessionEntity, now: Date): Promise<void> {
    const staleBefore = now.getTime() - this.config.activityWriteIntervalSeconds * 1000;
    if (session.lastActiveAt.getTime() > staleBefore) return;
    session.lastActiveAt = now;
    await this.sessions.update({ id: session.id }, { lastActiveAt: now });
    this.cache.touched(session.id, now);
  }

  /** Is the session still live? For re-checks after a socket registered. */
  async isLive(sessionId: string, now = this.clock.now()): Promise<boolean> {
    return this.sessions.exists({ where: { id: sessionId, ...this.liveAt(now) } });
  }

  /**
   * The account's live sessions, newest first: the read behind every `sessions` query, so one
   * statement (prepared once per connection on Postgres) and each value converted by the driver
   * exactly as an entity load would, without building the query and entities on every call (the
   * ORM was the largest share of a `sessions` request in a CPU profile: bench/README.md).
   */
  async listLive(userId: string, { now = this.clock.now(), viewerSessionId }: { now?: Date; viewerSessionId?: string } = {}): Promise<SessionFacts[]> {
    const cached = this.cache.list(userId);
    if (cached && this.stillCurrent(cached, now, viewerSessionId)) return [...cached];
    const stamp = this.cache.listReadStamp();
    const listed = await this.readLive(userId, now);
    this.cache.admitList(userId, listed, stamp);
    return listed;
  }

  /**
   * Whether a list from memory can answer at `now`: every session in it is still live by this
   * clock (one over its end or idle here may have been used on another instance: the database
   * decides, as for tokens), and it shows the session asking (a sign-in on another instance that
   * this one has not heard of yet is then read from the database).
   */
  private stillCurrent(listed: SessionFacts[], now: Date, viewerSessionId: string | undefined): boolean {
    const idle = idleBefore(this.config, now).getTime();
    const live = listed.every((session) => session.expiresAt.getTime() > now.getTime() && session.lastActiveAt.getTime() > idle);
    return live && (viewerSessionId === undefined || listed.some((session) => session.id === viewerSessionId));
  }

  private async readLive(userId: string, now: Date): Promise<SessionFacts[]> {
    const { driver } = this.sessions.manager.connection;
    const [sql, values] = driver.escapeQueryWithParameters(LIST_LIVE_SQL, { userId, now, idleBefore: idleBefore(this.config, now) }, {});
    const rows: ListedRow[] =
      driver.options.type === 'postgres'
        ? (await (driver as unknown as { master: Pool }).master.query<ListedRow>({ name: LIST_LIVE_STATEMENT, text: sql, values })).rows
        : await this.sessions.manager.connection.query(sql, values);
    return rows.map((row) => this.factsOf(row));
  }

  private factsOf(row: ListedRow): SessionFacts {
    const { driver } = this.sessions.manager.connection;
    const value = <T>(column: ColumnMetadata): T => driver.prepareHydratedValue(row[column.databaseName], column) as T;
    const listed = this.listedColumns;
    const place = this.placeColumns;
    return {
      id: row.id as string,
      deviceType: value(listed.deviceType),
      deviceOs: value(listed.deviceOs),
      deviceBrowser: value(listed.deviceBrowser),
      deviceModel: value(listed.deviceModel),
      deviceLabel: value(listed.deviceLabel),
      deviceName: value(listed.deviceName),
      devicePlatform: value(listed.devicePlatform),
      deviceAppVersion: value(listed.deviceAppVersion),
      ipAddress: value(listed.ipAddress),
      place: { countryCode: value(place.countryCode), country: value(place.country), region: value(place.region), city: value(place.city) },
      flags: value(listed.flags),
      createdAt: value(listed.createdAt),
      lastActiveAt: value(listed.lastActiveAt),
      expiresAt: value(listed.expiresAt),
    };
  }

  /** A live session of this account, or null: another account's id looks exactly like a missing one. */
  async findLive(userId: string, sessionId: string, now = this.clock.now()): Promise<SessionEntity | null> {
    if (!isSessionId(sessionId)) return null;
    return this.sessions.findOne({ where: { id: sessionId.toLowerCase(), userId, ...this.liveAt(now) } });
  }

  /** What makes a session live at `now`: not ended, not past expiresAt, not idle. */
  private liveAt(now: Date) {
    return { revokedAt: IsNull(), expiresAt: MoreThan(now), lastActiveAt: MoreThan(idleBefore(this.config, now)) };
  }

  /** Records a fresh confirmation (step-up) for this session. */
  async markConfirmed(sessionId: string, now = this.clock.now()): Promise<void> {
    await this.sessions.update({ id: sessionId }, { confirmedAt: now });
    // Other instances keep the older time: they ask for a confirmation once more at worst.
    const cached = this.cache.peek(sessionId);
    if (cached) cached.confirmedAt = now;
  }
}
