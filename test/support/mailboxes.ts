import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { until } from './deferred';

/**
 * How a test proves it holds a test account's mailbox: by server URL, a function that waits for
 * the verification email sent to an address and returns the token of its link. Clusters register
 * theirs (the outbox folder, or the test SMTP server), so account helpers can verify addresses.
 */
export type VerificationLinkReader = (email: string) => Promise<string>;

const readers = new Map<string, VerificationLinkReader>();

export function registerMailbox(urls: string[], reader: VerificationLinkReader): () => void {
  for (const url of urls) readers.set(url, reader);
  return () => {
    for (const url of urls) if (readers.get(url) === reader) readers.delete(url);
  };
}

export function mailboxOf(url: string): VerificationLinkReader {
  const reader = readers.get(url);
  if (!reader) throw new Error(`no mailbox registered for ${url}`);
  return reader;
}

export const VERIFICATION_SUBJECT = 'Confirm your email address';

export function verificationToken(text: string): string | undefined {
  const link = text.match(/https?:\/\/\S*\/verify-email\?\S+/)?.[0];
  return link ? (new URL(link).searchParams.get('token') ?? undefined) : undefined;
}

/** Reads the outbox folder (no SMTP_URL) until the verification email for `email` is there. */
export function outboxReader(dir: string): VerificationLinkReader {
  const taken = new Set<string>();
  return async (email) => {
    let token: string | undefined;
    // A file appearing in a folder is no event a test can await portably: poll the folder.
    await until(
      async () => {
        const names = await readdir(dir).catch(() => [] as string[]);
        for (const name of names.filter((n) => n.includes('confirm-your-email-address') && !taken.has(n)).sort()) {
          const content = await readFile(join(dir, name), 'utf8');
          if (!content.includes(`\nTo: ${email}\n`)) continue;
          token = verificationToken(content);
          if (token) {
            taken.add(name);
            return true;
          }
        }
        return false;
      },
      `the verification email for ${email} in ${dir}`,
      5000,
    );
    return token!;
  };
}
