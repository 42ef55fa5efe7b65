import { randomBytes } from 'node:crypto';
import { LoginDocument, RegisterDocument, type LoginMutation } from '../generated/graphql';
import { dataOf, DEVICES, graphql, type TestDevice } from './client';

export const PASSWORD = 'correct horse battery staple';

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(4).toString('hex')}@example.com`;
}

export type SignIn = LoginMutation['login'] & { device: TestDevice };

/** Registers an account on `device` and signs it in on each of `others`; returns every sign-in in order. */
export async function accountWithDevices(url: string, devices: TestDevice[] = [DEVICES.chromeOnWindows, DEVICES.safariOnIphone]): Promise<{ email: string; signIns: SignIn[] }> {
  const email = uniqueEmail();
  const [first, ...others] = devices;
  if (!first) throw new Error('need at least one device');
  const registered = dataOf(await graphql(url, RegisterDocument, { input: { email, password: PASSWORD } }, { device: first })).register;
  const signIns: SignIn[] = [{ ...registered, device: first }];
  for (const device of others) {
    const login = dataOf(await graphql(url, LoginDocument, { input: { email, password: PASSWORD } }, { device })).login;
    signIns.push({ ...login, device });
  }
  return { email, signIns };
}
