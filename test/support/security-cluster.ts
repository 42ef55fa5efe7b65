import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from './smtp';
import { startCluster, type TestCluster } from './server';
import { registerMailbox, verificationToken, VERIFICATION_SUBJECT } from './mailboxes';

/** What emails link to in these clusters: a host that is clearly not this server's. */
export const PUBLIC_URL = 'https://accounts.example.test';

export interface SecurityCluster {
  cluster: TestCluster;
  smtp: TestSmtpServer;
  url: string;
  dispose(): Promise<void>;
}

/** One instance on Postgres + Redis whose email goes to a real SMTP server the test reads. */
export async function startSecurityCluster(env: Record<string, string> = {}): Promise<SecurityCluster> {
  const smtp = await startSmtpServer();
  const cluster = await startCluster({ env: { SMTP_URL: smtp.url, PUBLIC_URL, ...env } });
  const unregisterMailbox = registerMailbox(
    cluster.instances.map((instance) => instance.url),
    async (email) => {
      const mail = await smtp.next((m) => m.to === email && m.subject === VERIFICATION_SUBJECT);
      const token = verificationToken(mail.text);
      if (!token) throw new Error(`no verification link in: ${mail.text}`);
      return token;
    },
  );
  return {
    cluster,
    smtp,
    url: cluster.instances[0]!.url,
    dispose: async () => {
      unregisterMailbox();
      await cluster.dispose();
      await smtp.dispose();
    },
  };
}

/** The value of `param` in the first link of the mail that points at `path`. */
export function linkParam(mail: ReceivedMail, path: string, param: string): string {
  const link = mail.text.match(new RegExp(`https?://\\S*${path.replace(/[/]/g, '\\/')}\\?\\S+`))?.[0];
  if (!link) throw new Error(`no ${path} link in: ${mail.text}`);
  const value = new URL(link).searchParams.get(param);
  if (!value) throw new Error(`no ${param} in ${link}`);
  return value;
}

export function sixDigitCode(mail: ReceivedMail): string {
  const code = mail.text.match(/\b\d{6}\b/)?.[0];
  if (!code) throw new Error(`no code in: ${mail.text}`);
  return code;
}
