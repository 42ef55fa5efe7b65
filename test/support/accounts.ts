import { randomBytes } from 'node:crypto';
import { LoginDocument, MeDocument, RegisterDocument, VerifyEmailDocument, type LoginMutation } from '../generated/graphql';
import { dataOf, DEVICES, errorCodes, graphql, type TestDevice } from './client';
import { mailboxOf } from './mailboxes';

export const PASSWORD = 'correct horse battery staple';

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(4).toString('hex')}@example.com`;
}

export type SignIn = LoginMutation['login'] & { device: TestDevice };

/** Proves the test holds the mailbox: follows the link of the verification email sent to `email`. */
export async function verifyAddress(url: string, email: string): Promise<void> {
  const token = await mailboxOf(url)(email);
  dataOf(await graphql(url, VerifyEmailDocument, { token }));
}

/**
 * Registers an account on the first device, confirms its address (as its owner would; pass
 * `verified: false` to leave it unproven), and signs it in on each of the others; returns every
 * sign-in in order.
 */
export async function accountWithDevices(
  url: string,
  devices: TestDevice[] = [DEVICES.chromeOnWindows, DEVICES.safariOnIphone],
  options: { verified?: boolean } = {},
): Promise<{ email: string; signIns: SignIn[] }> {
  const email = uniqueEmail();
  const [first, ...others] = devices;
  if (!first) throw new Error('need at least one device');
  const registered = dataOf(await graphql(url, RegisterDocument, { input: { email, password: PASSWORD } }, { device: first })).register;
  if (options.verified !== false) await verifyAddress(url, email);
  const signIns: SignIn[] = [{ ...registered, device: first }];
  for (const device of others) {
    const login = dataOf(await graphql(url, LoginDocument, { input: { email, password: PASSWORD } }, { device })).login;
    signIns.push({ ...login, device });
  }
  return { email, signIns };
}

/** Whether `url` still accepts `token`; a refusal must be UNAUTHENTICATED, never another error. */
export async function isLive(url: string, token: string): Promise<boolean> {
  const response = await graphql(url, MeDocument, {}, { token });
  if (response.data) return true;
  // Thrown rather than expect()ed: bench's child servers compile this file without jest's globals.
  const codes = errorCodes(response);
  if (codes.length !== 1 || codes[0] !== 'UNAUTHENTICATED') throw new Error(`a refused token must get UNAUTHENTICATED, got ${JSON.stringify(codes)}`);
  return false;
}

/** How a sign-in with these credentials goes: ['OK'], or the error codes it got. */
export async function loginCodes(url: string, email: string, password: string, otp?: string): Promise<unknown[]> {
  const response = await graphql(url, LoginDocument, { input: { email, password, otp } });
  return response.errors ? errorCodes(response) : ['OK'];
}
