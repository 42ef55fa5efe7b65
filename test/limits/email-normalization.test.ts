import { LoginDocument, RegisterDocument, RequestPasswordResetDocument } from '../generated/graphql';
import { PASSWORD, uniqueEmail } from '../support/accounts';
import { dataOf, errorCodes, graphql } from '../support/client';
import { clusterPerSuite, sql } from '../support/cluster';

describe('email addresses are normalised once, so a look-alike cannot become a second account', () => {
  const suite = clusterPerSuite();

  it('stores NFKC, trimmed, lowercased: full-width, ligature and upper-case forms of an address are that address', async () => {
    const local = `fido-${Math.random().toString(36).slice(2, 8)}`;
    const email = `${local}@example.com`;
    const registered = dataOf(await graphql(suite.url, RegisterDocument, { input: { email: email.toUpperCase(), password: PASSWORD } })).register;
    expect(registered.user.email).toBe(email);
    // Full-width Latin letters (what some input methods type) fold to ASCII under NFKC.
    const fullWidth = `  ${[...local.toUpperCase()].map((c) => (/[A-Z]/.test(c) ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c)).join('')}@EXAMPLE.com `;
    expect(dataOf(await graphql(suite.url, LoginDocument, { input: { email: fullWidth, password: PASSWORD } })).login.user.id).toBe(registered.user.id);
    // The "fi" ligature is one character that NFKC turns into two.
    const again = await graphql(suite.url, RegisterDocument, { input: { email: `\ufb01${local.slice(2)}@example.com`, password: 'another long passphrase' } });
    // Answered as for a new address (no enumeration), but it lands on the same address: a pending
    // account that does not hold it, so the first account still owns it alone.
    expect(dataOf(again).register.user.email).toBe(email);
    const rows = await sql(suite, 'SELECT email, holds_email FROM users WHERE email LIKE $1 ORDER BY created_at', [`%${local.slice(2)}%`]);
    expect(rows).toEqual([
      { email, holds_email: true },
      { email, holds_email: false },
    ]);
  });

  it.each([
    ['a Cyrillic "а" in a Latin mailbox', (local: string) => `${local.replace('a', '\u0430')}@example.com`],
    ['a Greek "ο" in a Latin domain', (local: string) => `${local}@example.c\u03bfm`],
    ['a zero-width space', (local: string) => `${local}\u200b@example.com`],
    ['a zero-width joiner', (local: string) => `${local.slice(0, 2)}\u200d${local.slice(2)}@example.com`],
    ['a soft hyphen', (local: string) => `${local.slice(0, 2)}\u00ad${local.slice(2)}@example.com`],
    ['a right-to-left override', (local: string) => `${local}\u202e@example.com`],
    ['a space inside', (local: string) => `${local.slice(0, 2)} ${local.slice(2)}@example.com`],
  ])('%s is BAD_USER_INPUT on email for register, login and requestPasswordReset', async (_, lookAlike) => {
    const local = `ada${Math.random().toString(36).slice(2, 8)}`;
    dataOf(await graphql(suite.url, RegisterDocument, { input: { email: `${local}@example.com`, password: PASSWORD } }));
    const email = lookAlike(local);
    const answers = [
      await graphql(suite.url, RegisterDocument, { input: { email, password: PASSWORD } }),
      await graphql(suite.url, LoginDocument, { input: { email, password: PASSWORD } }),
      await graphql(suite.url, RequestPasswordResetDocument, { email }),
    ].map((response) => ({ codes: errorCodes(response), field: response.errors?.[0]?.extensions?.field }));
    expect(answers).toEqual([0, 1, 2].map(() => ({ codes: ['BAD_USER_INPUT'], field: 'email' })));
    expect(await sql(suite, 'SELECT email FROM users WHERE email LIKE $1', [`%${local.slice(3)}%`])).toEqual([{ email: `${local}@example.com` }]);
  });

  it('takes an address written in one other script, or a Cyrillic mailbox at a Latin domain', async () => {
    for (const email of [`почта${Math.random().toString(36).slice(2, 6).replace(/[a-z]/g, '')}1@example.com`, `用户${Date.now()}@例子.公司`]) {
      const response = await graphql(suite.url, RegisterDocument, { input: { email, password: PASSWORD } });
      expect(response.errors).toBeUndefined();
    }
  });

  it('an unknown look-alike still gets true from requestPasswordReset when it is well-formed', async () => {
    expect(dataOf(await graphql(suite.url, RequestPasswordResetDocument, { email: uniqueEmail() })).requestPasswordReset).toBe(true);
  });
});
