import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A message as the test SMTP server received it, decoded. */
export interface ReceivedMail {
  /** The envelope recipients (RCPT TO), bare addresses joined by ", ": what to match a test account on. */
  to: string;
  /** The From header as mailparser renders it, e.g. `"signoff" <no-reply@signoff.local>`. */
  from: string;
  subject: string;
  text: string;
  html: string;
}

export interface TestSmtpServer {
  /** `smtp://127.0.0.1:PORT`, ready for SMTP_URL. */
  url: string;
  /** Every message received so far, in order of arrival. */
  messages: ReceivedMail[];
  /**
   * The first message matching `match` that no earlier `next` call returned, already received or
   * still to come; rejects after `ms`. Each message is handed out once, so waiting for "the next
   * code" after a second request gets the second email, not the first again.
   */
  next(match: (mail: ReceivedMail) => boolean, ms?: number): Promise<ReceivedMail>;
  dispose(): Promise<void>;
}

interface Waiter {
  match(mail: ReceivedMail): boolean;
  resolve(mail: ReceivedMail): void;
  reject(reason: Error): void;
}

function addressText(address: AddressObject | AddressObject[] | undefined): string {
  if (!address) return '';
  return (Array.isArray(address) ? address : [address]).map((a) => a.text).join(', ');
}

/**
 * A real SMTP server on loopback (port 0), for sending through nodemailer's SMTP transport as in
 * production. Plain SMTP without AUTH or STARTTLS, so a client needs no TLS or credentials.
 */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const handedOut = new Set<ReceivedMail>();
  const waiters = new Set<Waiter>();

  const deliver = (mail: ReceivedMail) => {
    messages.push(mail);
    for (const waiter of waiters) {
      if (waiter.match(mail)) {
        waiters.delete(waiter);
        handedOut.add(mail);
        waiter.resolve(mail);
        return;
      }
    }
  };

  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    disableReverseLookup: true,
    logger: false,
    // A client that never hung up (a pooled transport left open) must not hold dispose for the default 30 s.
    closeTimeout: 1000,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          deliver({
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address).join(', '),
            from: addressText(parsed.from),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
          });
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    next(match, ms = 5000) {
      const waiting = messages.find((mail) => !handedOut.has(mail) && match(mail));
      if (waiting) {
        handedOut.add(waiting);
        return Promise.resolve(waiting);
      }
      return new Promise<ReceivedMail>((resolve, reject) => {
        const waiter: Waiter = {
          match,
          resolve: (mail) => {
            clearTimeout(timer);
            resolve(mail);
          },
          reject: (reason) => {
            clearTimeout(timer);
            reject(reason);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = messages.map((mail) => `"${mail.subject}" to ${mail.to}`).join('; ') || 'none';
          reject(new Error(`no matching email within ${ms} ms (received so far: ${seen})`));
        }, ms);
        waiters.add(waiter);
      });
    },
    async dispose() {
      for (const waiter of waiters) waiter.reject(new Error('the test SMTP server was disposed while waiting for an email'));
      waiters.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
