import type { DataSource, Repository } from 'typeorm';
import { AuditEventType } from '../../audit/audit-event.entity';
import type { AuditLog } from '../../audit/audit-log.service';
import { type ConfirmationMethod } from '../../common/errors';
import type { AttemptLimiter, LimiterFactory } from '../../common/rate-limit';
import { newNumericCode } from '../../common/secrets';
import type { Config } from '../../config/config';
import { describeIpPlace } from '../../devices/location';
import { MailKind, type CappedMailer } from '../../mail/capped-mailer.service';
import { confirmationCode } from '../../mail/templates';
import type { SessionEntity } from '../../sessions/session.entity';
import type { ClientInfo } from '../../devices/client-info';
import type { SessionService } from '../../sessions/session.service';
import { OneTimeTokenPurpose } from '../one-time-token.entity';
import type { OneTimeTokens } from '../one-time-tokens.service';
import { verifyPassword } from '../password/password-hashing';
import type { TwoFactor } from '../two-factor/two-factor.service';
import { UserEntity } from '../user.entity';
import type { ConfirmationInput } from './confirmation.input';
import { signInRequired } from '../../sessions/session.errors';
import { confirmationAmbiguous, confirmationWrong, emailCodeCapped, stepUpRequired, totpCannotTurnOnTwoFactor, twoFactorTooNew } from './step-up.errors';

/** The actions that need the person holding the device to prove who they are, and what each warns. */
const SENSITIVE_ACTIONS = {
  revokeSession: 'This signs the selected device out; it will need the password to sign in again.',
  revokeOtherSessions: 'This signs out every other device; each will need the password to sign in again.',
  disableTotp: 'This turns off two-factor authentication; signing in will need only the password.',
  beginTotpSetup: 'This turns on two-factor authentication; signing in will then need a code from the app.',
} as const;
export type SensitiveAction = keyof typeof SENSITIVE_ACTIONS;

/** Actions that sign other devices out: the ones a thief needs to shut the owner out. */
const ENDS_OTHER_SESSIONS: ReadonlySet<SensitiveAction> = new Set(['revokeSession', 'revokeOtherSessions']);

/**
 * A two-factor app younger than this cannot confirm signing other devices out: whoever set it up
 * may be a thief holding only a session token, and must not be able to lock the owner out with it.
 */
const YOUNG_FACTOR_HOURS = 24;

const EMAIL_CODE_TTL_MINUTES = 10;

/**
 * Step-up confirmation: a fresh password, TOTP/recovery code or emailed code before a sensitive
 * action, unless this session confirmed (or signed in) within STEP_UP_WINDOW_SECONDS.
 * Wrong answers are audited and count against the asking session's budget, shared by every
 * instance: a session that guessed wrong ten times is refused for the rest of the window, while
 * the account's other sessions (the owner's) confirm as before.
 */
const FIFTEEN_MINUTES = 15 * 60;

/**
 * Wrong confirmations (here) and wrong current passwords (PasswordService) share this one budget
 * per session, never per account.
 */
export function wrongConfirmationLimit(limiter: LimiterFactory): AttemptLimiter {
  return limiter('confirm-session', { points: 10, windowSeconds: FIFTEEN_MINUTES });
}

/** Step-up's budgets: the shared wrong-confirmation one, and emailed codes requested per session. */
export function stepUpLimits(limiter: LimiterFactory, wrongConfirmations: AttemptLimiter): StepUpLimits {
  return { failures: wrongConfirmations, emailCodes: limiter('email-code-session', { points: 5, windowSeconds: FIFTEEN_MINUTES }) };
}

export interface StepUpLimits {
  failures: AttemptLimiter;
  emailCodes: AttemptLimiter;
}

export class StepUp {
  private readonly users: Repository<UserEntity>;

  constructor(
    dataSource: DataSource,
    private readonly config: Config,
    private readonly sessions: SessionService,
    private readonly tokens: OneTimeTokens,
    private readonly twoFactor: TwoFactor,
    private readonly auditLog: AuditLog,
    private readonly mail: CappedMailer,
    /** Both keyed by session id: one session's guesses or code requests never hold back another's. */
    private readonly limits: StepUpLimits,
  ) {
    this.users = dataSource.getRepository(UserEntity);
  }

  /** Passes when a confirmation is given and right, or the session confirmed recently; throws otherwise. */
  async require(viewer: SessionEntity, confirmation: ConfirmationInput | null | undefined, client: ClientInfo, action: SensitiveAction): Promise<void> {
    if (hasAnswer(confirmation)) return this.confirm(viewer, confirmation, client, action);
    if (this.isFresh(viewer)) return;
    throw stepUpRequired(await this.methods(viewer.userId, action), SENSITIVE_ACTIONS[action]);
  }

  /** Did this session confirm (or sign in) within the window? No I/O: callers may skip work before a confirmation. */
  isFresh(viewer: SessionEntity): boolean {
    const windowMs = this.config.stepUpWindowSeconds * 1000;
    return windowMs > 0 && Date.now() - viewer.confirmedAt.getTime() < windowMs;
  }

  /**
   * Checks the one answer given; a right one restarts this session's step-up window. Turning
   * two-factor on takes only a factor that existed before (password, emailed code), and a
   * two-factor app younger than {@link YOUNG_FACTOR_HOURS} cannot confirm signing other devices out.
   */
  async confirm(viewer: SessionEntity, confirmation: ConfirmationInput | null | undefined, client: ClientInfo, action?: SensitiveAction): Promise<void> {
    const answers = [confirmation?.password, confirmation?.otp, confirmation?.emailCode].filter((value) => value != null && value !== '');
    if (answers.length !== 1) throw confirmationAmbiguous();
    if (confirmation?.otp && action === 'beginTotpSetup') {
      throw totpCannotTurnOnTwoFactor();
    }
    await this.limits.failures.assertAllowed(viewer.id);
    const user = await this.users.findOneBy({ id: viewer.userId });
    if (!user) throw signInRequired();
    if (confirmation?.otp && action && ENDS_OTHER_SESSIONS.has(action) && this.isYoung(user)) {
      throw twoFactorTooNew(YOUNG_FACTOR_HOURS);
    }
    let right: boolean;
    if (confirmation?.password) right = await verifyPassword(user.passwordHash, confirmation.password);
    else if (confirmation?.otp) right = await this.twoFactor.verify(user, confirmation.otp.trim());
    else right = (await this.tokens.spend(OneTimeTokenPurpose.EMAIL_CONFIRMATION, String(confirmation?.emailCode).trim(), { userId: user.id, sessionId: viewer.id })) !== null;
    if (!right) {
      await this.auditLog.record({ userId: user.id, type: AuditEventType.CONFIRMATION_FAILED, origin: { client, actor: viewer } });
      await this.limits.failures.recordFailure(viewer.id);
      throw confirmationWrong();
    }
    const now = new Date();
    await this.sessions.markConfirmed(viewer.id, now);
    viewer.confirmedAt = now;
  }

  /**
   * What this account can confirm `action` with: always the password and an emailed code; TOTP
   * once it is on, except for signing other devices out while the app is young.
   */
  async methods(userId: string, action: SensitiveAction): Promise<ConfirmationMethod[]> {
    const user = await this.users.findOneBy({ id: userId });
    const totp = user !== null && this.twoFactor.isEnabled(user) && !(ENDS_OTHER_SESSIONS.has(action) && this.isYoung(user));
    return totp ? ['PASSWORD', 'TOTP', 'EMAIL_CODE'] : ['PASSWORD', 'EMAIL_CODE'];
  }

  private isYoung(user: UserEntity): boolean {
    return user.totpEnabledAt !== null && Date.now() - user.totpEnabledAt.getTime() < YOUNG_FACTOR_HOURS * 3600 * 1000;
  }

  /**
   * Emails a 6-digit code, single use, valid 10 minutes, usable only by the session that asked.
   * Past the address's cap for codes the caller, signed in to this very account, is told so
   * (RATE_LIMITED with retryAfterSeconds) rather than left waiting for an email; no code is issued,
   * so the one already mailed still works, and the password always confirms.
   */
  async sendEmailCode(viewer: SessionEntity, client: ClientInfo): Promise<void> {
    await this.limits.emailCodes.take(viewer.id);
    const user = await this.users.findOneBy({ id: viewer.userId });
    if (!user) throw signInRequired();
    const outcome = await this.mail.send(user.email, MailKind.CONFIRMATION_CODE, async () => {
      const code = newNumericCode(6);
      await this.tokens.issue(user.id, OneTimeTokenPurpose.EMAIL_CONFIRMATION, code, {
        sessionId: viewer.id,
        ttlSeconds: EMAIL_CODE_TTL_MINUTES * 60,
        replacePrevious: true,
      });
      return confirmationCode({
        to: user.email,
        code,
        expiresInMinutes: EMAIL_CODE_TTL_MINUTES,
        deviceLabel: viewer.deviceLabel,
        place: describeIpPlace(client.ipAddress),
      });
    });
    if (!outcome.sent) throw emailCodeCapped(outcome.retryAfterSeconds);
  }
}

function hasAnswer(confirmation: ConfirmationInput | null | undefined): confirmation is ConfirmationInput {
  return Boolean(confirmation && (confirmation.password || confirmation.otp || confirmation.emailCode));
}
