import { In, type DataSource, type Repository } from 'typeorm';
import { AuditEventType } from '../audit/audit-event.entity';
import type { AuditLog } from '../audit/audit-log.service';
import { normalizeEmail } from '../common/email-address';
import { UserEntity } from '../auth/user.entity';
import type { SessionFacts } from '../sessions/session-events';
import { TerminationReason } from '../sessions/session.entity';
import type { SessionTerminator } from '../sessions/session-terminator.service';
import type { ClientInfo } from '../devices/client-info';
import { isSessionId, type SessionService } from '../sessions/session.service';
import { SessionEntity as Sessions } from '../sessions/session.entity';
import { adminSessionNotFound, userNotFound } from './admin.errors';

/** Users are looked up by id only in this UUID form. */
const isUserId = isSessionId;

/**
 * What a service client with the `admin` scope may do, bound to that client and the request's
 * address: every action is audited on the account with the client as actor, and every ending goes
 * through the SessionTerminator (reason ADMIN_REVOKED), so sockets, caches and SSF streams learn
 * of it exactly as of any other ending.
 */
export class AdminActions {
  private readonly users: Repository<UserEntity>;
  private readonly sessionRows: Repository<Sessions>;

  constructor(
    dataSource: DataSource,
    private readonly sessions: SessionService,
    private readonly terminator: SessionTerminator,
    private readonly auditLog: AuditLog,
    readonly clientId: string,
    private readonly client: ClientInfo,
  ) {
    this.users = dataSource.getRepository(UserEntity);
    this.sessionRows = dataSource.getRepository(Sessions);
  }

  private audit(userId: string, type: AuditEventType, targetSessionIds: string[] = []): Promise<void> {
    return this.auditLog.record({ userId, type, origin: { client: this.client, actor: null, serviceClientId: this.clientId }, targetSessionIds });
  }

  /** The account holding `email` (normalized as at sign-in), or null. */
  async userByEmail(email: string): Promise<UserEntity | null> {
    const user = await this.users.findOneBy({ email: normalizeEmail(email), holdsEmail: true });
    if (user) await this.audit(user.id, AuditEventType.ADMIN_ACCOUNT_VIEWED);
    return user;
  }

  async userSessions(userId: string): Promise<SessionFacts[]> {
    const user = isUserId(userId) ? await this.users.findOneBy({ id: userId.toLowerCase() }) : null;
    if (!user) throw userNotFound();
    const live = await this.sessions.listLive(user.id);
    await this.audit(
      user.id,
      AuditEventType.ADMIN_ACCOUNT_VIEWED,
      live.map((session) => session.id),
    );
    return live;
  }

  /** Ends every live session of the account. */
  async revokeUserSessions(userId: string, note: string | null): Promise<string[]> {
    const user = isUserId(userId) ? await this.users.findOneBy({ id: userId.toLowerCase() }) : null;
    if (!user) throw userNotFound();
    return this.end(user.id, { allExcept: null }, note);
  }

  /** Ends one live session of any account; NOT_FOUND when there is no such live session. */
  async revokeSession(sessionId: string, note: string | null): Promise<string[]> {
    const row = isSessionId(sessionId) ? await this.sessionRows.findOne({ select: { id: true, userId: true }, where: { id: In([sessionId.toLowerCase()]) } }) : null;
    if (!row) throw adminSessionNotFound();
    const ended = await this.end(row.userId, { sessionIds: [row.id] }, note);
    if (ended.length === 0) throw adminSessionNotFound();
    return ended;
  }

  private async end(userId: string, target: { allExcept: null } | { sessionIds: string[] }, note: string | null): Promise<string[]> {
    const { sessionIds } = await this.terminator.end({
      userId,
      target,
      reason: TerminationReason.ADMIN_REVOKED,
      actor: null,
      client: this.client,
      serviceClientId: this.clientId,
      ...(note ? { note } : {}),
    });
    return sessionIds;
  }
}
