import type { DataSource, Repository } from 'typeorm';
import type { Logger } from '../common/logger';
import type { AttemptLimiter, LimiterFactory } from '../common/rate-limit';
import { newOpaqueToken } from '../common/secrets';
import type { Config } from '../config/config';
import { parseUserAgent } from '../devices/device';
import { describeIpPlace } from '../devices/location';
import { MailKind, type CappedMailer } from '../mail/capped-mailer.service';
import { emailVerification, publicLink, registrationAttempt } from '../mail/templates';
import { TerminationReason } from '../sessions/session.entity';
import type { ClientInfo } from '../devices/client-info';
import type { SessionTerminator } from '../sessions/session-terminator.service';
import { OneTimeTokenPurpose } from './one-time-token.entity';
import type { OneTimeTokens } from './one-time-tokens.service';
import { UserEntity } from './user.entity';
import { emailTaken, verificationLinkInvalid } from './auth.errors';

const VERIFICATION_LINK_TTL_HOURS = 24;
const VERIFICATION_TOKEN_PREFIX = 'sov';

/**
 * Who owns an address. An account *holds* its address unless it was registered for an address
 * another account already held (a pending account, which can never sign in by that address).
 * The emailed link proves the mailbox: it verifies the holder, or lets a pending account claim
 * the address from an unverified holder (a squatter), whose sessions all end. An address held
 * by a verified account cannot be claimed: its owner is told of the attempt instead.
 */
/** Verification links requested again, per account per hour. */
export function verificationResendLimit(limiter: LimiterFactory): AttemptLimiter {
  return limiter('verify-email', { points: 5, windowSeconds: 60 * 60 });
}

export class EmailOwnership {
  private readonly users: Repository<UserEntity>;

  constructor(
    dataSource: DataSource,
    private readonly config: Config,
    private readonly tokens: OneTimeTokens,
    private readonly terminator: SessionTerminator,
    private readonly mail: CappedMailer,
    private readonly resends: AttemptLimiter,
    private readonly logger: Logger,
  ) {
    this.users = dataSource.getRepository(UserEntity);
  }

  /** The account that holds `email` (normalized), if any: the only one that can sign in by it. */
  holderOf(email: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ email, holdsEmail: true });
  }

  /** After a registration: the link, or the "someone tried" notice, in the background. */
  afterRegistration(user: UserEntity, client: ClientInfo): void {
    this.sendOwnershipMail(user, client).catch((err: unknown) => this.logger.error({ err, userId: user.id }, 'could not send the email verification'));
  }

  /**
   * Sends the account's verification link again (earlier links stop working); nothing once verified.
   * RATE_LIMITED after 5 requests per account per hour, whichever email a request leads to. The
   * per-address cap beneath is silent: the email a request leads to depends on whether another
   * account has proven the address, so an answer that depended on its cap would tell a pending
   * registration that. A capped request issues no link, so the last one mailed still works.
   */
  async resend(userId: string, client: ClientInfo): Promise<void> {
    await this.resends.take(userId);
    const user = await this.users.findOneBy({ id: userId });
    if (!user || user.emailVerifiedAt) return;
    await this.sendOwnershipMail(user, client);
  }

  private async sendOwnershipMail(user: UserEntity, client: ClientInfo): Promise<void> {
    const device = parseUserAgent(client.userAgent);
    const place = describeIpPlace(client.ipAddress);
    if (!user.holdsEmail) {
      const holder = await this.holderOf(user.email);
      if (holder?.emailVerifiedAt) {
        // The address is proven someone else's: tell them, with nothing to click.
        await this.mail.send(user.email, MailKind.REGISTRATION_ATTEMPT, () => registrationAttempt({ to: user.email, deviceLabel: device.label, place, at: new Date() }));
        return;
      }
    }
    await this.mail.send(user.email, MailKind.EMAIL_VERIFICATION, async () => {
      const token = newOpaqueToken(VERIFICATION_TOKEN_PREFIX);
      await this.tokens.issue(user.id, OneTimeTokenPurpose.EMAIL_VERIFICATION, token, {
        ttlSeconds: VERIFICATION_LINK_TTL_HOURS * 3600,
        replacePrevious: true,
      });
      return emailVerification({
        to: user.email,
        verifyUrl: publicLink(this.config.publicUrl, '/verify-email', { token }),
        expiresInHours: VERIFICATION_LINK_TTL_HOURS,
        claimsFromAnotherAccount: !user.holdsEmail,
        deviceLabel: device.label,
        place,
      });
    });
  }

  /**
   * Spends a verification link: the holder becomes verified, or a pending account takes the
   * address from its unverified holder, ending every session of that holder.
   */
  async verify(token: string, client: ClientInfo): Promise<void> {
    const pending = await this.tokens.peek(OneTimeTokenPurpose.EMAIL_VERIFICATION, token.trim());
    if (!pending) throw verificationLinkInvalid();
    const user = await this.users.findOneBy({ id: pending.userId });
    if (!user) throw verificationLinkInvalid();
    const spend = async (manager: import('typeorm').EntityManager) => {
      if (!(await this.tokens.spend(OneTimeTokenPurpose.EMAIL_VERIFICATION, token.trim(), {}, manager))) throw verificationLinkInvalid();
    };

    if (user.holdsEmail) {
      await this.users.manager.transaction(async (manager) => {
        await spend(manager);
        await manager.getRepository(UserEntity).update({ id: user.id }, { emailVerifiedAt: new Date() });
      });
      return;
    }

    const holder = await this.holderOf(user.email);
    const now = new Date();
    const claim = async (manager: import('typeorm').EntityManager) => {
      await spend(manager);
      const repository = manager.getRepository(UserEntity);
      if (holder) {
        // Only an unverified holder gives the address up; one that verified meanwhile keeps it.
        const released = await repository
          .createQueryBuilder()
          .update(UserEntity)
          .set({ holdsEmail: false })
          .where('id = :id AND holds_email = :holds AND email_verified_at IS NULL', { id: holder.id, holds: true })
          .execute();
        if (!released.affected) throw emailTaken();
      }
      await repository.update({ id: user.id }, { holdsEmail: true, emailVerifiedAt: now });
    };
    if (!holder) {
      await this.users.manager.transaction(claim);
      return;
    }
    await this.terminator.end({
      userId: holder.id,
      target: { allExcept: null },
      reason: TerminationReason.ACCOUNT_RECLAIMED,
      actor: null,
      client,
      alongside: claim,
    });
  }
}
