import { IsNull, Not, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { AuditEventType } from '../../audit/audit-event.entity';
import type { AuditLog, AuditOrigin } from '../../audit/audit-log.service';
import { SecretBox, SecretBoxError } from '../../common/secret-box';
import type { SecurityNotices } from '../../mail/security-notices.service';
import { OneTimeTokenPurpose } from '../one-time-token.entity';
import type { OneTimeTokens } from '../one-time-tokens.service';
import { UserEntity } from '../user.entity';
import { hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCodes } from './recovery-codes';
import { newTotpSecret, TOTP_ISSUER, totpUri, verifyTotp } from './totp';
import { emailNotVerified, setupCodeWrong, setupNotStarted, twoFactorAlreadyOn, twoFactorNotOn } from './two-factor.errors';

/** TOTP (RFC 6238) second factor with single-use recovery codes. */
export class TwoFactor {
  private readonly users: Repository<UserEntity>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: OneTimeTokens,
    private readonly auditLog: AuditLog,
    private readonly notices: SecurityNotices,
    private readonly secrets: SecretBox,
  ) {
    this.users = dataSource.getRepository(UserEntity);
  }

  // The shared secret is stored sealed (SECRET_KEY), bound to its account: a database dump alone
  // cannot mint codes, and a sealed value copied onto another account does not open.
  private seal(userId: string, secret: string): string {
    return this.secrets.seal(secret, `totp:${userId}`);
  }

  private open(userId: string, stored: string): string {
    return this.secrets.open(stored, `totp:${userId}`);
  }

  /**
   * At start: refuses a SECRET_KEY that does not open the stored secrets (every two-factor
   * sign-in would fail), then seals secrets stored in plaintext before encryption existed.
   */
  async prepareStoredSecrets(): Promise<void> {
    const sample = await this.users.findOne({ where: { totpSecret: Not(IsNull()) }, order: { totpEnabledAt: 'DESC' } });
    if (sample?.totpSecret && SecretBox.isSealed(sample.totpSecret)) {
      try {
        this.open(sample.id, sample.totpSecret);
      } catch (err) {
        if (err instanceof SecretBoxError) {
          throw new Error('SECRET_KEY does not open the stored two-factor secrets: start with the key they were sealed with');
        }
        throw err;
      }
    }
    for (const column of ['totpSecret', 'totpPendingSecret'] as const) {
      const legacy = await this.users
        .createQueryBuilder('user')
        .select(['user.id', `user.${column}`])
        .where(`user.${column} IS NOT NULL AND user.${column} NOT LIKE 'v1:%'`)
        .getMany();
      for (const user of legacy) {
        const plaintext = user[column]!;
        // Only if unchanged meanwhile (another instance may be doing the same).
        await this.users.update({ id: user.id, [column]: plaintext }, { [column]: this.seal(user.id, plaintext) });
      }
    }
  }

  isEnabled(user: Pick<UserEntity, 'totpSecret'>): boolean {
    return user.totpSecret !== null;
  }

  assertCanBegin(user: UserEntity): void {
    // Two-factor can lock an account: only one whose owner proved the address may turn it on.
    if (!user.emailVerifiedAt) throw emailNotVerified('Confirm your email address first (the link we emailed you), then turn on two-factor authentication.');
    if (this.isEnabled(user)) throw twoFactorAlreadyOn('Two-factor authentication is already on. Turn it off first to set up a new app.');
  }

  /** Starts (or restarts) setup: the secret is kept pending until a code from the app confirms it. */
  async begin(user: UserEntity): Promise<{ secret: string; otpauthUrl: string }> {
    this.assertCanBegin(user);
    const secret = newTotpSecret();
    await this.users.update({ id: user.id }, { totpPendingSecret: this.seal(user.id, secret) });
    return { secret, otpauthUrl: totpUri({ secret, accountName: user.email, issuer: TOTP_ISSUER }) };
  }

  /** Turns two-factor on once the app shows a valid code; returns the recovery codes, shown only now. */
  async confirm(user: UserEntity, code: string, origin: AuditOrigin): Promise<string[]> {
    if (this.isEnabled(user)) throw twoFactorAlreadyOn('Two-factor authentication is already on.');
    if (!user.emailVerifiedAt) throw emailNotVerified('Confirm your email address first.');
    if (!user.totpPendingSecret) throw setupNotStarted();
    const pendingSecret = this.open(user.id, user.totpPendingSecret);
    const result = await verifyTotp(pendingSecret, code, { lastUsedStep: null });
    if (!result.ok) throw setupCodeWrong();
    const codes = newRecoveryCodes();
    await this.dataSource.transaction(async (manager) => {
      await manager
        .getRepository(UserEntity)
        .update({ id: user.id }, { totpSecret: this.seal(user.id, pendingSecret), totpPendingSecret: null, totpEnabledAt: new Date(), totpLastStep: result.step });
      await this.tokens.revokeAll(user.id, OneTimeTokenPurpose.RECOVERY_CODE, manager);
      for (const code of codes) {
        await this.tokens.issue(user.id, OneTimeTokenPurpose.RECOVERY_CODE, hashRecoveryCode(code), { ttlSeconds: null }, manager);
      }
      await this.auditLog.record({ userId: user.id, type: AuditEventType.TWO_FACTOR_ENABLED, origin }, manager);
    });
    if (origin.client) this.notices.send(user, 'TWO_FACTOR_ENABLED', origin.client, origin.actor?.deviceLabel);
    return codes;
  }

  async disable(user: UserEntity, origin: AuditOrigin): Promise<void> {
    if (!this.isEnabled(user)) throw twoFactorNotOn();
    await this.dataSource.transaction(async (manager: EntityManager) => {
      await manager.getRepository(UserEntity).update({ id: user.id }, { totpSecret: null, totpPendingSecret: null, totpEnabledAt: null, totpLastStep: null });
      await this.tokens.revokeAll(user.id, OneTimeTokenPurpose.RECOVERY_CODE, manager);
      await this.auditLog.record({ userId: user.id, type: AuditEventType.TWO_FACTOR_DISABLED, origin }, manager);
    });
    if (origin.client) this.notices.send(user, 'TWO_FACTOR_DISABLED', origin.client, origin.actor?.deviceLabel);
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
    const result = await verifyTotp(this.open(user.id, user.totpSecret), otp, { lastUsedStep: user.totpLastStep });
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
