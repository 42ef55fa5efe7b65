import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createTransport, type SMTPSentMessageInfo, type Transporter } from 'nodemailer';
import type { Logger } from '../common/logger';
import type { Config } from '../config/config';

/** One email to one person. `text` and `html` say the same thing; clients pick the one they show. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Sends the service's emails (sign-in alerts, confirmation codes, password resets). */
export interface Mailer {
  /** Resolves once the message is accepted by the SMTP server (or written to the outbox); rejects otherwise. */
  send(message: MailMessage): Promise<void>;
  /** Releases the transport; call once at shutdown. */
  close(): Promise<void>;
}

/**
 * SMTP when `config.smtpUrl` is set; otherwise the embedded default, an outbox folder
 * (`config.outboxDir`) holding one readable file per message, so a developer can follow the
 * codes and links without a mail server.
 */
export function createMailer(config: Config, logger: Logger): Mailer {
  return config.smtpUrl ? new SmtpMailer(config.smtpUrl, config.mailFrom, logger) : new OutboxMailer(config.outboxDir, config.mailFrom, logger);
}

class SmtpMailer implements Mailer {
  private readonly transport: Transporter<SMTPSentMessageInfo>;

  constructor(
    url: string,
    from: string,
    private readonly logger: Logger,
  ) {
    this.transport = createTransport(
      {
        url,
        // nodemailer waits minutes by default; a send sits on a request path, so give up sooner.
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 30_000,
      },
      { from },
    );
  }

  async send(message: MailMessage): Promise<void> {
    const { to, subject, text, html } = message;
    const info = await this.transport.sendMail({ to, subject, text, html });
    this.logger.debug({ messageId: info.messageId, subject }, 'email sent');
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

class OutboxMailer implements Mailer {
  private ready: Promise<unknown> | undefined;

  constructor(
    private readonly dir: string,
    private readonly from: string,
    private readonly logger: Logger,
  ) {}

  async send(message: MailMessage): Promise<void> {
    // The outbox holds live codes and reset links: only the service's own user may read it.
    this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.ready;
    const at = new Date();
    const name = `${at.toISOString().replace(/[:.]/g, '-')}-${slug(message.subject)}`;
    const content = renderOutboxFile(message, this.from, at);
    let path = resolve(join(this.dir, `${name}.txt`));
    try {
      await writeFile(path, content, { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Two messages with the same subject in the same millisecond: never overwrite the first.
      path = resolve(join(this.dir, `${name}-${randomBytes(3).toString('hex')}.txt`));
      await writeFile(path, content, { flag: 'wx', mode: 0o600 });
    }
    this.logger.info({ path, subject: message.subject }, 'email written to outbox (no SMTP_URL set)');
  }

  async close(): Promise<void> {}
}

/** Header values on one line, so a value cannot forge another header in the file. */
function headerValue(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').trim();
}

/**
 * Plain text rather than a MIME .eml: MIME would quoted-printable-encode non-ASCII bodies,
 * turning every `=` in a link into `=3D`, and the point of the outbox is to copy codes and links.
 */
function renderOutboxFile(message: MailMessage, from: string, at: Date): string {
  return [
    `From: ${headerValue(from)}`,
    `To: ${headerValue(message.to)}`,
    `Date: ${at.toUTCString()}`,
    `Subject: ${headerValue(message.subject)}`,
    '',
    message.text.trimEnd(),
    '',
    '----- HTML version -----',
    message.html.trimEnd(),
    '',
  ].join('\n');
}

function slug(subject: string): string {
  const base = subject
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return base || 'message';
}
