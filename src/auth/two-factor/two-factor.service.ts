import type { DataSource, EntityManager, Repository } from 'typeorm';
import { AuditEventType } from '../../audit/audit-event.entity';
import type { AuditLog, AuditOrigin } from '../../audit/audit-log';
import { BadUserInputError, InvalidConfirmationError } from '../../common/errors';
import type { SecurityNotices } from '../../mail/security-notices';
import { OneTimeTokenPurpose } from '../one-time-token.entity';
import type { OneTimeTokens } from '../one-time-tokens';
import { UserEntity } from '../user.entity';
import { hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCodes } from './recovery-codes';
import { newTotpSecret, TOTP_ISSUER, totpUri, verifyTotp } from './totp';

/** TOTP (RFC 6238) second factor with single-use recovery codes. */
export class TwoFactor {
  private readonly users: Repository<UserEntity>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: OneTimeTokens,
    private readonly auditLog: AuditLog,
    private readonly notices: SecurityNotices,
  ) {
    this.users = dataSource.getRepository(UserEntity);
  }

  isEnabled(user: Pick<UserEntity, 'totpSecret'>): boolean {
    return user.totpSecret !== null;
  }

  assertCanBegin(user: UserEntity): void {
    if (this.isEnabled(user)) throw new BadUserInputError('Two-factor authentication is already on. Turn it off first to set up a new app.');
  }

  /** Starts (or restarts) setup: the secret is kept pending until a code from the app confirms it. */
  async begin(user: UserEntity): Promise<{ secret: string; otpauthUrl: string }> {
    this.assertCanBegin(user);
    const secret = newTotpSecret();
    await this.users.update({ id: user.id }, { totpPendingSecret: secret });
    return { secret, otpauthUrl: totpUri({ secret, accountName: user.email, issuer: TOTP_ISSUER }) };
  }

  /** Turns two-factor on once the app shows a valid code; returns the recovery codes, shown only now. */
  async confirm(user: UserEntity, code: string, origin: AuditOrigin): Promise<string[]> {
    if (this.isEnabled(user)) throw new BadUserInputError('Two-factor authentication is already on.');
    if (!user.totpPendingSecret) throw new BadUserInputError('Start with beginTotpSetup.');
    const result = await verifyTotp(user.totpPendingSecret, code, { lastUsedStep: null });
    if (!result.ok) throw new InvalidConfirmationError('That code is not correct. Check the time on your device and try the newest code.');
    const codes = newRecoveryCodes();
    await this.dataSource.transaction(async (manager) => {
      await manager.getRepository(UserEntity).update(
        { id: user.id },
        { totpSecret: user.totpPendingSecret, totpPendingSecret: null, totpEnabledAt: new Date(), totpLastStep: result.step },
      );
      await this.tokens.revokeAll(user.id, OneTimeTokenPurpose.RECOVERY_CODE, manager);
      for (const code of codes) {
        await this.tokens.issue(user.id, OneTimeTokenPurpose.RECOVERY_CODE, hashRecoveryCode(code), { ttlSeconds: null }, manager);
      }
      await this.auditLog.record({ userId: user.id, type: AuditEventType.TWO_FACTOR_ENABLED, origin }, manager);
    });
    if (origin.client) this.notices.send(user.email, 'TWO_FACTOR_ENABLED', origin.client, origin.actor?.deviceLabel);
    return codes;
  }

  async disable(user: UserEntity, origin: AuditOrigin): Promise<void> {
    if (!this.isEnabled(user)) throw new BadUserInputError('Two-factor authentication is not on.');
    await this.dataSource.transaction(async (manager: EntityManager) => {
      await manager
        .getRepository(UserEntity)
        .update({ id: user.id }, { totpSecret: null, totpPendingSecret: null, totpEnabledAt: null, totpLastStep: null });
      await this.tokens.revokeAll(user.id, OneTimeTokenPurpose.RECOVERY_CODE, manager);
      await this.auditLog.record({ userId: user.id, type: AuditEventType.TWO_FACTOR_DISABLED, origin }, manager);
    });
    if (origin.client) this.notices.send(user.email, 'TWO_FACTOR_DISABLED', origin.client, origin.actor?.deviceLabel);
  }

  /**
   * A password reset proves the mailbox: it turns off a TOTP set up within `recentDays`, which
   * may be a thief's lock on the account. Runs in the reset's transaction; true when it did.
   */
  async clearRecentEnrolment(userId: string, recentDays: number, origin: AuditOrigin, manager: EntityManager): Promise<boolean> {
    const since = new Date(Date.now() - recentDays * 24 * 3600 * 1000);
    const cleared = await manager
      .createQueryBuilder()
      .update(UserEntity)
      .set({ totpSecret: null, totpPendingSecret: null, totpEnabledAt: null, totpLastStep: null })
      .where('id = :id AND totp_secret IS NOT NULL AND totp_enabled_at > :since', { id: userId, since })
      .execute();
    if (!cleared.affected) return false;
    await this.tokens.revokeAll(userId, OneTimeTokenPurpose.RECOVERY_CODE, manager);
    await this.auditLog.record({ userId, type: AuditEventType.TWO_FACTOR_DISABLED, origin }, manager);
    return true;
  }

  /**
   * Checks a TOTP code (never the same 30-second step twice, even when two requests race) or
   * spends an unused recovery code.
   */
  async verify(user: UserEntity, otp: string): Promise<boolean> {
    if (!user.totpSecret) return false;
    if (looksLikeRecoveryCode(otp)) {
      return (await this.tokens.spend(OneTimeTokenPurpose.RECOVERY_CODE, hashRecoveryCode(otp), { userId: user.id })) !== null;
    }
    const result = await verifyTotp(user.totpSecret, otp, { lastUsedStep: user.totpLastStep });
    if (!result.ok) return false;
    // Claim the step: only one request can move totp_last_step past it.
    const claimed = await this.users
      .createQueryBuilder()
      .update(UserEntity)
      .set({ totpLastStep: result.step })
      .where('id = :id AND (totp_last_step IS NULL OR totp_last_step < :step)', { id: user.id, step: result.step })
      .execute();
    return Boolean(claimed.affected);
  }
}
