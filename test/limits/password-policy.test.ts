import { ChangePasswordDocument, LoginDocument, RegisterDocument, RequestPasswordResetDocument, ResetPasswordDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD, uniqueEmail } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql, type GraphqlResponse } from '../support/client';
import { linkParam, clusterPerSuite, sql } from '../support/cluster';

/** Passwords no new password may be: too short, or among the most common (or a thin variant of one). */
const WEAK = [
  ['nine chars', 'xk3!vq9zw', /10 to 128 characters/],
  ['a common password', 'password123', /too common/],
  ['a common password in l33t', 'P@ssw0rd1234', /too common/],
  ['a keyboard walk', 'qwertyuiop', /too common/],
  ['a repeated word', 'monkeymonkeymonkey', /too common/],
  ['a common phrase', 'iloveyou2026', /too common/],
] as const;

function refusal(response: GraphqlResponse<unknown>) {
  return { codes: errorCodes(response), field: response.errors?.[0]?.extensions?.field, message: response.errors?.[0]?.message };
}

describe('new passwords: at least 10 characters and not guessable (zxcvbn score 3 or more)', () => {
  const env = clusterPerSuite({ smtp: true });

  it.each(WEAK)('register refuses %s with BAD_USER_INPUT on password, and creates no account', async (_, password, message) => {
    const email = uniqueEmail();
    const response = await graphql(env.url, RegisterDocument, { input: { email, password } });
    expect(refusal(response)).toEqual({ codes: ['BAD_USER_INPUT'], field: 'password', message: expect.stringMatching(message) });
    expect(await sql(env, 'SELECT id FROM users WHERE email = $1', [email])).toEqual([]);
  });

  it('register refuses a password made of the address itself', async () => {
    const email = uniqueEmail('margaretha');
    const response = await graphql(env.url, RegisterDocument, { input: { email, password: `${email.split('@')[0]}2026` } });
    expect(refusal(response)).toMatchObject({ codes: ['BAD_USER_INPUT'], field: 'password' });
  });

  it.each(WEAK)('changePassword refuses %s with BAD_USER_INPUT on newPassword, and the old password still works', async (_, newPassword, message) => {
    const { email, signIns } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows]);
    const response = await graphql(env.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword }, { token: signIns[0]!.token });
    expect(refusal(response)).toEqual({ codes: ['BAD_USER_INPUT'], field: 'newPassword', message: expect.stringMatching(message) });
    expect(dataOf(await graphql(env.url, LoginDocument, { input: { email, password: PASSWORD } })).login.user.email).toBe(email);
  });

  it.each(WEAK)('resetPassword refuses %s with BAD_USER_INPUT on newPassword, and the link still works', async (_, newPassword, message) => {
    const { email } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows]);
    dataOf(await graphql(env.url, RequestPasswordResetDocument, { email }));
    const token = linkParam(await env.smtp.next((mail) => mail.to === email && /reset/i.test(mail.subject)), '/reset-password', 'token');
    const response = await graphql(env.url, ResetPasswordDocument, { token, newPassword });
    expect(refusal(response)).toEqual({ codes: ['BAD_USER_INPUT'], field: 'newPassword', message: expect.stringMatching(message) });
    expect(dataOf(await graphql(env.url, ResetPasswordDocument, { token, newPassword: 'seven lilac otters at noon' })).resetPassword).toBe(true);
  });

  it('takes a passphrase of ordinary words', async () => {
    const email = uniqueEmail();
    expect(dataOf(await graphql(env.url, RegisterDocument, { input: { email, password: 'seven lilac otters at noon' } })).register.user.email).toBe(email);
  });
});
