import type { DataSource, Repository } from 'typeorm';
import type { Logger } from '../../common/logger';
import type { AttemptLimiter } from '../../common/rate-limit';
import { newOpaqueToken } from '../../common/secrets';
import type { Config } from '../../config/config';
import { parseUserAgent } from '../../devices/device';
import { describeIpPlace } from '../../devices/location';
import { MailKind, type CappedMailer } from '../../mail/capped-mailer.service';
import type { SecurityNotices } from '../../mail/security-notices.service';
import { passwordReset, publicLink } from '../../mail/templates';
import { TerminationReason, type SessionEntity } from '../../sessions/session.entity';
import type { ClientInfo } from '../../devices/client-info';
import type { SessionService } from '../../sessions/session.service';
import type { SessionTerminator } from '../../sessions/session-terminator.service';
import { normalizeEmail } from '../../common/email-address';
import { OneTimeTokenPurpose } from '../one-time-token.entity';
import type { OneTimeTokens } from '../one-time-tokens.service';
import { assertAcceptablePassword } from './password-policy';
import { hashPassword, verifyPassword } from './password-hashing';
import type { TwoFactor } from '../two-factor/two-factor.service';
import { UserEntity } from '../user.entity';
import { signInRequired } from '../../sessions/session.errors';
import { resetLinkInvalid, wrongCurrentPassword } from './password.errors';

export const RESET_TOKEN_TTL_MINUTES = 30;
/** A reset turns off two-factor set up this recently: the way back for an owner locked out by a thief's app. */
const RESET_CLEARS_TOTP_DAYS = 7;
const RESET_TOKEN_PREFIX = 'sor';

/** Changing a password (signs the other devices out) and resetting a forgotten one (signs every device out). */
export class PasswordService {
  private readonly users: Repository<UserEntity>;

  constructor(
    dataSource: DataSource,
    private readonly config: Config,
    private readonly sessions: SessionService,
    private readonly terminator: SessionTerminator,
    private readonly tokens: OneTimeTokens,
    private readonly twoFactor: TwoFactor,
    private readonly mail: CappedMailer,
    private readonly notices: SecurityNotices,
    private readonly limits: { wrongPasswords: AttemptLimiter },
    private readonly logger: Logger,
  ) {
    this.users = dataSource.getRepository(UserEntity);
  }

  async change(viewer: SessionEntity, currentPassword: string, newPassword: string, signOutOtherSessions: boolean, client: ClientInfo): Promise<string[]> {
    // Per session, with the step-up confirmations: guesses from a stolen session never lock out the owner's.
    await this.limits.wrongPasswords.assertAllowed(viewer.id);
    const user = await this.users.findOneBy({ id: viewer.userId });
    if (!user) throw signInRequired();
    assertAcceptablePassword(newPassword, 'newPassword', user);
    if (!(await verifyPassword(user.passwordHash, currentPassword))) {
      await this.limits.wrongPasswords.recordFailure(viewer.id);
      throw wrongCurrentPassword();
    }
    const passwordHash = await hashPassword(newPassword);
    const { sessionIds } = await this.terminator.end({
      userId: user.id,
      target: signOutOtherSessions ? { allExcept: viewer.id } : { sessionIds: [] },
      reason: TerminationReason.PASSWORD_CHANGED,
      actor: viewer,
      client,
      alongside: async (manager) => {
        await manager.getRepository(UserEntity).update({ id: user.id }, { passwordHash, passwordChangedAt: new Date() });
        // A reset link asked for earlier must not undo the change, nor a "this wasn't me" link (it hands over a reset).
        await this.tokens.revokeAll(user.id, OneTimeTokenPurpose.PASSWORD_RESET, manager);
        await this.tokens.revokeAll(user.id, OneTimeTokenPurpose.UNRECOGNIZED_SIGN_IN, manager);
      },
    });
    await this.sessions.markConfirmed(viewer.id);
    this.notices.send(user, 'PASSWORD_CHANGED', client, viewer.deviceLabel);
    return sessionIds;
  }

  /**
   * Emails a reset link when the address has an account. The answer and its timing are the
   * same either way: the token and the email are made in the background. Capped per address
   * (MAIL_CAPS: 3 per 30 minutes, the link's lifetime) by the mailer, silently: the answer is
   * the same whether the email went out, was capped, or there is no account.
   */
  async requestReset(email: string, client: ClientInfo): Promise<void> {
    const normalized = normalizeEmail(email);
    // Only the holder of the address: a pending account registered for it has no claim to its mailbox.
    const user = await this.users.findOneBy({ email: normalized, holdsEmail: true });
    if (!user) return;
    this.sendResetLink(user, client).catch((err: unknown) => this.logger.error({ err, userId: user.id }, 'could not send the password reset email'));
  }

  /**
   * Each emailed link stays valid until it expires or one of them is used, so requests from
   * someone else cannot cancel the link the owner already has; a capped request issues none.
   */
  private async sendResetLink(user: UserEntity, client: ClientInfo): Promise<void> {
    const device = parseUserAgent(client.userAgent);
    await this.mail.send(user.email, MailKind.PASSWORD_RESET, async () => {
      const token = await this.issueResetToken(user.id, { replacePrevious: false });
      return passwordReset({
        to: user.email,
        resetUrl: publicLink(this.config.publicUrl, '/reset-password', { token }),
        expiresInMinutes: RESET_TOKEN_TTL_MINUTES,
        clearsTwoFactorSetUpWithinDays: RESET_CLEARS_TOTP_DAYS,
        deviceLabel: device.label,
        place: describeIpPlace(client.ipAddress),
      });
    });
  }

  /** A fresh single-use reset token; by default earlier ones stop working. */
  async issueResetToken(userId: string, options: { replacePrevious: boolean } = { replacePrevious: true }): Promise<string> {
    const token = newOpaqueToken(RESET_TOKEN_PREFIX);
    await this.tokens.issue(userId, OneTimeTokenPurpose.PASSWORD_RESET, token, { ttlSeconds: RESET_TOKEN_TTL_MINUTES * 60, replacePrevious: options.replacePrevious });
    return token;
  }

  /** Sets the new password, signs every device out, and turns off two-factor set up in the last 7 days. */
  async reset(token: string, newPassword: string, client: ClientInfo): Promise<void> {
    const pending = await this.tokens.peek(OneTimeTokenPurpose.PASSWORD_RESET, token.trim());
    if (!pending) throw resetLinkInvalid();
    assertAcceptablePassword(newPassword, 'newPassword', (await this.users.findOneBy({ id: pending.userId })) ?? {});
    const passwordHash = await hashPassword(newPassword);
    let clearedTwoFactor = false;
    await this.terminator.end({
      userId: pending.userId,
      target: { allExcept: null },
      reason: TerminationReason.PASSWORD_RESET,
      actor: null,
      client,
      // Spent in the same transaction as the new password: both happen, or neither.
      alongside: async (manager) => {
        if (!(await this.tokens.spend(OneTimeTokenPurpose.PASSWORD_RESET, token.trim(), {}, manager))) throw resetLinkInvalid();
        // The other links mailed meanwhile die with this one: the reset is done.
        await this.tokens.revokeAll(pending.userId, OneTimeTokenPurpose.PASSWORD_RESET, manager);
        await manager.getRepository(UserEntity).update({ id: pending.userId }, { passwordHash, passwordChangedAt: new Date() });
        await this.tokens.revokeAll(pending.userId, OneTimeTokenPurpose.UNRECOGNIZED_SIGN_IN, manager);
        clearedTwoFactor = await this.twoFactor.clearRecentEnrolment(pending.userId, RESET_CLEARS_TOTP_DAYS, { client, actor: null }, manager);
      },
    });
    // Guesses at the old password no longer slow sign-in: the throttle counts per password generation.
    const user = await this.users.findOneBy({ id: pending.userId });
    if (user && clearedTwoFactor) this.notices.send(user, 'TWO_FACTOR_CLEARED_BY_RESET', client);
  }
}
