import { randomUUID } from 'node:crypto';
import type { DataSource, Repository } from 'typeorm';
import { AuditEventType } from '../audit/audit-event.entity';
import type { AuditLog } from '../audit/audit-log.service';
import type { AttemptLimiter, LimiterFactory } from '../common/rate-limit';
import type { Config } from '../config/config';
import type { SessionEntity } from '../sessions/session.entity';
import type { ClientInfo } from '../devices/client-info';
import type { SessionService } from '../sessions/session.service';
import { normalizeEmail } from '../common/email-address';
import { assertAcceptablePassword } from './password/password-policy';
import { hashPassword, verifyAgainstDecoy, verifyPassword } from './password/password-hashing';
import type { EmailOwnership } from './email-ownership.service';
import { throttleKey, type SignInThrottle } from './sign-in-throttle.service';
import type { TwoFactor } from './two-factor/two-factor.service';
import { UserEntity } from './user.entity';
import { twoFactorCodeRequired, twoFactorCodeWrong, wrongCredentials } from './auth.errors';

export interface SignedIn {
  token: string;
  user: UserEntity;
  session: SessionEntity;
}

/** Told after every sign-in (register opens no session; login does), e.g. to send a new-device alert. Must not throw. */
export type SignInListener = (user: UserEntity, session: SessionEntity) => void;

/** Registrations per IP per hour (REGISTER_LIMIT_PER_IP_PER_HOUR). */
export function registrationLimit(limiter: LimiterFactory, config: Pick<Config, 'registerLimitPerIpPerHour'>): AttemptLimiter {
  return limiter('register-ip', { points: config.registerLimitPerIpPerHour, windowSeconds: 60 * 60 });
}

/** Registration and sign-in: proving who someone is, then opening a session for them. */
export class AuthService {
  private readonly users: Repository<UserEntity>;
  private readonly signInListeners: SignInListener[] = [];

  constructor(
    dataSource: DataSource,
    private readonly sessions: SessionService,
    private readonly twoFactor: TwoFactor,
    private readonly auditLog: AuditLog,
    private readonly ownership: EmailOwnership,
    private readonly throttle: SignInThrottle,
    private readonly registrationsPerIp: AttemptLimiter,
  ) {
    this.users = dataSource.getRepository(UserEntity);
  }

  /**
   * Opens an unverified account and emails the address. A taken address gets the same answer
   * (no enumeration): a pending account that cannot sign in by the address, whose link can
   * claim it only from a holder that never proved it (see EmailOwnership).
   */
  async register(email: string, password: string, client: ClientInfo): Promise<SignedIn> {
    // Before anything costly: a refused registration never computes a password hash.
    await this.registrationsPerIp.take(client.ipAddress);
    const normalized = normalizeEmail(email);
    assertAcceptablePassword(password, 'password', { email: normalized });
    const now = new Date();
    const user = this.users.create({
      id: randomUUID(),
      email: normalized,
      holdsEmail: (await this.ownership.holderOf(normalized)) === null,
      emailVerifiedAt: null,
      passwordHash: await hashPassword(password),
      createdAt: now,
      passwordChangedAt: now,
      totpSecret: null,
      totpPendingSecret: null,
      totpEnabledAt: null,
      totpLastStep: null,
    });
    try {
      await this.users.insert(user);
    } catch (err) {
      // Two registrations raced for the same address; the unique index on holders decided.
      if (!user.holdsEmail || !(await this.ownership.holderOf(normalized))) throw err;
      user.holdsEmail = false;
      await this.users.insert(user);
    }
    const signedIn = await this.openSession(user, client);
    this.ownership.afterRegistration(user, client);
    return signedIn;
  }

  /**
   * Same answer and the same time for an unknown email and a wrong password: both look the address
   * up, wait out the same throttle, verify one argon2id hash and count the failure alike. With
   * two-factor on, a TOTP or recovery code is needed too.
   */
  async login(email: string, password: string, otp: string | null | undefined, client: ClientInfo): Promise<SignedIn> {
    const normalized = normalizeEmail(email);
    const user = await this.ownership.holderOf(normalized);
    const key = throttleKey(normalized, user?.passwordChangedAt);
    await this.throttle.beforeAttempt(key, client.ipAddress);
    const valid = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDecoy(password);
    if (!user || !valid) {
      await this.failed(key, user, client);
      throw wrongCredentials();
    }
    if (this.twoFactor.isEnabled(user)) {
      if (!otp?.trim()) throw twoFactorCodeRequired();
      if (!(await this.twoFactor.verify(user, otp.trim()))) {
        await this.failed(key, user, client);
        throw twoFactorCodeWrong();
      }
    }
    await this.throttle.succeeded(key, client.ipAddress);
    return this.openSession(user, client);
  }

  private async failed(key: string, user: UserEntity | null, client: ClientInfo): Promise<void> {
    await this.throttle.failed(key, client.ipAddress);
    // Attempts on unknown addresses belong to no account's history. Buffered: awaiting the commit (or
    // even starting it before answering) made a known address answer 2-3 ms (10-15 %) later than an unknown one.
    if (user) this.auditLog.recordLater({ userId: user.id, type: AuditEventType.LOGIN_FAILED, origin: { client, actor: null } });
  }

  private async openSession(user: UserEntity, client: ClientInfo): Promise<SignedIn> {
    const { token, session } = await this.sessions.open(user.id, client);
    await this.auditLog.record({ userId: user.id, type: AuditEventType.LOGIN, origin: { client, actor: session }, targetSessionIds: [session.id], at: session.createdAt });
    for (const listener of this.signInListeners) listener(user, session);
    return { token, user, session };
  }

  /** Adds a listener told after each successful sign-in (features above auth, such as alerts, attach here). */
  onSignedIn(listener: SignInListener): void {
    this.signInListeners.push(listener);
  }

  findUser(userId: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id: userId });
  }
}
