import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from '../common/logger';
import { RateLimitedError } from '../common/errors';
import type { AttemptLimiter, AttemptPolicy } from '../common/rate-limit';
import type { MailMessage, Mailer } from './mailer';

/** What an email is for: each kind has its own cap per address. */
export enum MailKind {
  /** "New sign-in from …", with a "this wasn't me" link (needs the password to trigger). */
  SIGN_IN_ALERT = 'sign-in-alert',
  /** "Your password was changed", "two-factor was turned on/off" (needs a session to trigger). */
  SECURITY_NOTICE = 'security-notice',
  /** The reset link (anyone who knows the address can ask for it). */
  PASSWORD_RESET = 'password-reset',
  /** The emailed step-up code (needs a session). */
  CONFIRMATION_CODE = 'confirmation-code',
  /** The link that proves the mailbox, after a registration or on request. */
  EMAIL_VERIFICATION = 'email-verification',
  /** "Someone tried to register with your address" (anyone can trigger it by registering). */
  REGISTRATION_ATTEMPT = 'registration-attempt',
}

export interface KindCap {
  /** Emails of this kind one address may receive per window. */
  points: number;
  windowSeconds: number;
  /**
   * Whether the address's daily total holds this kind back once spent. Resets, alerts and notices
   * are counted in the total but never held back by it: a flood of registration attempts must
   * neither keep the owner from a reset nor silence the warning of an intrusion.
   */
  heldByDailyTotal: boolean;
}

const HOUR = 60 * 60;

/**
 * Per (address, kind). The reset window is the reset link's lifetime (RESET_TOKEN_TTL_MINUTES):
 * capped requests issue no token and replace none, so while resets are capped the links already
 * mailed in this window still work, and a flood cannot keep the owner from resetting.
 */
export const MAIL_CAPS: Readonly<Record<MailKind, KindCap>> = {
  [MailKind.SIGN_IN_ALERT]: { points: 5, windowSeconds: HOUR, heldByDailyTotal: false },
  [MailKind.SECURITY_NOTICE]: { points: 5, windowSeconds: HOUR, heldByDailyTotal: false },
  [MailKind.PASSWORD_RESET]: { points: 3, windowSeconds: 30 * 60, heldByDailyTotal: false },
  [MailKind.CONFIRMATION_CODE]: { points: 10, windowSeconds: HOUR, heldByDailyTotal: true },
  [MailKind.EMAIL_VERIFICATION]: { points: 5, windowSeconds: HOUR, heldByDailyTotal: true },
  [MailKind.REGISTRATION_ATTEMPT]: { points: 3, windowSeconds: HOUR, heldByDailyTotal: true },
};

/** What became of one email: sent, or dropped by a cap (and when the cap lets the next one through). */
export type MailOutcome = { sent: true } | { sent: false; retryAfterSeconds: number };

export interface ComposeContext {
  /** This is the last email of its kind the address gets before its window ends: say so (alerts coalesce). */
  lastInWindow: boolean;
}

/**
 * The one way the service emails anyone: every message is counted per recipient address, per
 * kind and in total per day, across instances (Redis; per instance while Redis is away), so no
 * one can flood a mailbox through the service. A capped email is dropped silently (logged at info
 * with its kind and a keyed hash of the address): the caller decides whether to tell anyone.
 *
 * The message is composed only once the email is allowed, so a capped request issues no token and
 * replaces none: links and codes already mailed keep working through a flood.
 */
export class CappedMailer {
  private readonly perKind: ReadonlyMap<MailKind, AttemptLimiter>;
  private readonly perDay: AttemptLimiter;
  private readonly caps: Readonly<Record<MailKind, KindCap>>;
  private readonly logKey: Buffer;

  constructor(
    private readonly mailer: Mailer,
    limiter: (name: string, policy: AttemptPolicy) => AttemptLimiter,
    options: { perAddressPerDay: number; caps?: Readonly<Record<MailKind, KindCap>>; logKey?: Buffer },
    private readonly logger: Logger,
  ) {
    const caps = options.caps ?? MAIL_CAPS;
    // Fixed windows (no block beyond them): the reset window must end when the links mailed in it expire.
    this.perKind = new Map(
      Object.values(MailKind).map((kind) => [kind, limiter(`mail:${kind}`, { points: caps[kind].points, windowSeconds: caps[kind].windowSeconds, blockSeconds: 0 })]),
    );
    this.perDay = limiter('mail:day', { points: options.perAddressPerDay, windowSeconds: 24 * HOUR, blockSeconds: 0 });
    this.caps = caps;
    // Keyed, so a log line cannot be turned back into an address by hashing a list of addresses.
    this.logKey = options.logKey ?? randomBytes(32);
  }

  /**
   * Sends the message `compose` makes for `to`, unless the address has had its share of `kind`
   * (or, for the kinds it holds back, of all mail today). `compose` runs only when the email goes
   * out: issue its token or code there. Rejects when the transport fails.
   */
  async send(to: string, kind: MailKind, compose: (context: ComposeContext) => MailMessage | Promise<MailMessage>): Promise<MailOutcome> {
    const address = recipientKey(to);
    let remaining: number;
    try {
      if (this.caps[kind].heldByDailyTotal) await this.perDay.assertAllowed(address);
      remaining = await this.perKindLimiter(kind).take(address);
    } catch (err) {
      if (!(err instanceof RateLimitedError)) throw err;
      const retryAfterSeconds = Number(err.extensions.retryAfterSeconds);
      this.logger.info({ kind, recipient: this.redacted(address), retryAfterSeconds }, 'email dropped: the address has had its share');
      return { sent: false, retryAfterSeconds };
    }
    await this.perDay.recordUse(address); // one more email today, whatever its kind
    const message = await compose({ lastInWindow: remaining === 0 });
    await this.mailer.send(message);
    return { sent: true };
  }

  async close(): Promise<void> {
    await this.mailer.close();
  }

  private perKindLimiter(kind: MailKind): AttemptLimiter {
    const limiter = this.perKind.get(kind);
    if (!limiter) throw new Error(`no mail cap for kind ${kind}`);
    return limiter;
  }

  private redacted(address: string): string {
    return createHmac('sha256', this.logKey).update(address).digest('hex').slice(0, 16);
  }
}

/**
 * One counter per mailbox however the address is written. Stored addresses are already normalized
 * (normalizeEmail); this repeats the same steps without its refusals, since a cap must never throw.
 */
function recipientKey(to: string): string {
  return to.normalize('NFKC').trim().toLowerCase();
}
