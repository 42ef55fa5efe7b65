import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createLogger } from '../../src/common/logger';
import { loadConfig } from '../../src/config/config';
import { createMailer, type MailMessage } from '../../src/mail/mailer';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

// Non-ASCII text and a link with query parameters: the parts an encoding mistake would mangle.
const MESSAGE: MailMessage = {
  to: 'alice@example.com',
  subject: 'New sign-in to your account from Chrome on Windows',
  text: 'New sign-in from Chrome on Windows, München, Germany.\nhttps://signoff.example.com/report?token=abc&x=1',
  html: '<p>New sign-in from Chrome on Windows, München, Germany.</p><p><a href="https://signoff.example.com/report?token=abc&amp;x=1">link</a></p>',
};

describe('mailer over SMTP', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(() => smtp.dispose());

  it('delivers the message to a real SMTP server, from MAIL_FROM, intact', async () => {
    const config = loadConfig({ SMTP_URL: smtp.url, MAIL_FROM: 'signoff <no-reply@signoff.test>' });
    const mailer = createMailer(config, createLogger('silent'));
    try {
      await mailer.send(MESSAGE);
      const received = await smtp.next((mail) => mail.to === 'alice@example.com');
      expect(received.from).toMatch(/^"?signoff"? <no-reply@signoff\.test>$/);
      expect(received.subject).toBe(MESSAGE.subject);
      expect(received.text.trim()).toBe(MESSAGE.text);
      expect(received.html.trim()).toBe(MESSAGE.html);
    } finally {
      await mailer.close();
    }
  });

  it('hands each message to one wait, and explains a wait that times out', async () => {
    const mailer = createMailer(loadConfig({ SMTP_URL: smtp.url }), createLogger('silent'));
    try {
      const waiting = smtp.next((mail) => mail.to === 'bob@example.com');
      await mailer.send({ ...MESSAGE, to: 'bob@example.com', subject: 'first' });
      await mailer.send({ ...MESSAGE, to: 'bob@example.com', subject: 'second' });
      await expect(waiting).resolves.toMatchObject({ subject: 'first' });
      await expect(smtp.next((mail) => mail.to === 'bob@example.com')).resolves.toMatchObject({ subject: 'second' });
      await expect(smtp.next((mail) => mail.to === 'bob@example.com', 100)).rejects.toThrow(/no matching email within 100 ms/);
    } finally {
      await mailer.close();
    }
  });

  it('rejects when the SMTP server cannot be reached', async () => {
    const closed = await startSmtpServer();
    await closed.dispose();
    const mailer = createMailer(loadConfig({ SMTP_URL: closed.url }), createLogger('silent'));
    try {
      await expect(mailer.send(MESSAGE)).rejects.toThrow();
    } finally {
      await mailer.close();
    }
  });
});

describe('mailer without SMTP_URL (outbox)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'signoff-outbox-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function capturingLogger() {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info', base: undefined }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    return { logger, lines };
  }

  it('writes a readable file with headers and both bodies, only for its owner, and logs where', async () => {
    const outbox = join(dir, 'outbox');
    const { logger, lines } = capturingLogger();
    const mailer = createMailer(loadConfig({ OUTBOX_DIR: outbox, MAIL_FROM: 'signoff <no-reply@signoff.test>' }), logger);
    await mailer.send(MESSAGE);
    await mailer.close();

    const files = readdirSync(outbox);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d-]+Z-new-sign-in-to-your-account-from-chrome-on-windows\.txt$/);
    const path = join(outbox, files[0]!);
    const content = readFileSync(path, 'utf8');
    expect(content).toContain('From: signoff <no-reply@signoff.test>');
    expect(content).toContain('To: alice@example.com');
    expect(content).toContain(`Subject: ${MESSAGE.subject}`);
    // The link is copyable as is: no quoted-printable "=3D" or soft line breaks.
    expect(content).toContain(MESSAGE.text);
    expect(content).toContain(MESSAGE.html);
    expect(statSync(path).mode & 0o077).toBe(0);

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ path, subject: MESSAGE.subject });
  });

  it('never overwrites: two messages with the same subject make two files', async () => {
    const mailer = createMailer(loadConfig({ OUTBOX_DIR: dir }), createLogger('silent'));
    await Promise.all([mailer.send(MESSAGE), mailer.send(MESSAGE), mailer.send({ ...MESSAGE, subject: '¡¡¡' })]);
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(3);
    expect(files.some((file) => file.endsWith('-message.txt'))).toBe(true);
  });

  it('keeps a header value on one line', async () => {
    const mailer = createMailer(loadConfig({ OUTBOX_DIR: dir }), createLogger('silent'));
    await mailer.send({ ...MESSAGE, subject: 'Hello\r\nBcc: someone@example.com' });
    const [file] = readdirSync(dir);
    const content = readFileSync(join(dir, file!), 'utf8');
    expect(content).toContain('Subject: Hello Bcc: someone@example.com');
    expect(content).not.toMatch(/^Bcc:/m);
  });
});
