import type { Logger } from '../common/logger';
import { newOpaqueToken } from '../common/secrets';
import type { Config } from '../config/config';
import { describeLocation } from '../devices/location';
import { MailKind, type CappedMailer } from '../mail/capped-mailer.service';
import { newSignInAlert, publicLink } from '../mail/templates';
import { OneTimeTokenPurpose } from '../auth/one-time-token.entity';
import type { OneTimeTokens } from '../auth/one-time-tokens.service';
import type { PasswordService } from '../auth/password/password.service';
import type { UserEntity } from '../auth/user.entity';
import { TerminationReason, type SessionEntity } from '../sessions/session.entity';
import type { ClientInfo } from '../devices/client-info';
import type { SessionService } from '../sessions/session.service';
import type { SessionTerminator } from '../sessions/session-terminator.service';
import { reportLinkInvalid } from './alerts.errors';

/** A report link hands over a password reset, so it lives a day, not as long as the mail sits in an inbox. */
const REPORT_LINK_TTL_HOURS = 24;
const REPORT_TOKEN_PREFIX = 'sou';

/**
 * New-device and new-country sign-ins email the owner, with a "this wasn't me" link that ends
 * exactly that session and lets the owner set a new password at once.
 */
export class SignInAlerts {
  constructor(
    private readonly config: Config,
    private readonly tokens: OneTimeTokens,
    private readonly sessions: SessionService,
    private readonly terminator: SessionTerminator,
    private readonly passwords: PasswordService,
    private readonly mail: CappedMailer,
    private readonly logger: Logger,
  ) {}

  /** Sends the alert for an unfamiliar sign-in in the background: signing in never waits on SMTP. */
  afterSignIn(user: UserEntity, session: SessionEntity): void {
    // Only to a proven address: an unverified one may be someone else's mailbox.
    if (session.flags.length === 0 || !user.emailVerifiedAt) return;
    this.sendAlert(user, session).catch((err: unknown) => this.logger.error({ err, sessionId: session.id }, 'could not send the sign-in alert'));
  }

  /**
   * Coalesced by the per-address cap (MAIL_CAPS): at most 5 alerts an hour, the last of which says
   * that later sign-ins in the hour show only in the device list. A dropped alert issues no link.
   */
  private async sendAlert(user: UserEntity, session: SessionEntity): Promise<void> {
    await this.mail.send(user.email, MailKind.SIGN_IN_ALERT, async ({ lastInWindow }) => {
      const token = newOpaqueToken(REPORT_TOKEN_PREFIX);
      await this.tokens.issue(user.id, OneTimeTokenPurpose.UNRECOGNIZED_SIGN_IN, token, {
        sessionId: session.id,
        ttlSeconds: REPORT_LINK_TTL_HOURS * 3600,
      });
      return newSignInAlert({
        to: user.email,
        deviceLabel: session.deviceLabel,
        place: describeLocation(session.place),
        ipAddress: session.ipAddress,
        at: session.createdAt,
        reportUrl: publicLink(this.config.publicUrl, '/report-sign-in', { token }),
        securityUrl: publicLink(this.config.publicUrl, '/security'),
        lastForAnHour: lastInWindow,
      });
    });
  }

  /**
   * Ends the one session the link was sent for and returns a password reset token. A used,
   * expired or forged link changes nothing, and neither does one whose session has ended: it
   * would hand over a password reset with nothing left to report.
   */
  async report(token: string, client: ClientInfo): Promise<string> {
    const pending = await this.tokens.peek(OneTimeTokenPurpose.UNRECOGNIZED_SIGN_IN, token.trim());
    if (!pending?.sessionId) throw reportLinkInvalid();
    // A password change spends the account's report links (PasswordService).
    if (!(await this.sessions.findLive(pending.userId, pending.sessionId))) throw reportLinkInvalid();
    const spent = await this.tokens.spend(OneTimeTokenPurpose.UNRECOGNIZED_SIGN_IN, token.trim());
    if (!spent?.sessionId) throw reportLinkInvalid();
    await this.terminator.end({
      userId: spent.userId,
      target: { sessionIds: [spent.sessionId] },
      reason: TerminationReason.REPORTED_UNRECOGNIZED,
      actor: null,
      client,
    });
    return this.passwords.issueResetToken(spent.userId);
  }
}
