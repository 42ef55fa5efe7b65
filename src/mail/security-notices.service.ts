import type { Logger } from '../common/logger';
import { parseUserAgent } from '../devices/device';
import { describeIpPlace } from '../devices/location';
import type { ClientInfo } from '../devices/client-info';
import { MailKind, type CappedMailer } from './capped-mailer.service';
import { securityChange, type SecurityChange } from './templates';

/**
 * Tells the owner, after the fact, that the account's protection changed (password, two-factor),
 * from which device and place: if it was not them, they learn it from this email first.
 */
export class SecurityNotices {
  constructor(
    private readonly mail: CappedMailer,
    private readonly logger: Logger,
  ) {}

  /**
   * Sends in the background: the change has happened, the email must not hold up the answer.
   * Only to a verified address: an unproven one may be someone else's mailbox. Capped per address
   * (CappedMailer): past the cap the change still happens, only its notice is dropped.
   */
  send(account: { email: string; emailVerifiedAt: Date | null }, change: SecurityChange, client: ClientInfo, deviceLabel?: string): void {
    if (!account.emailVerifiedAt) return;
    const to = account.email;
    this.mail
      .send(to, MailKind.SECURITY_NOTICE, () =>
        securityChange({
          to,
          change,
          deviceLabel: deviceLabel ?? parseUserAgent(client.userAgent).label,
          place: describeIpPlace(client.ipAddress),
          ipAddress: client.ipAddress,
          at: new Date(),
        }),
      )
      .catch((err: unknown) => this.logger.error({ err, change }, 'could not send the security notice'));
  }
}
