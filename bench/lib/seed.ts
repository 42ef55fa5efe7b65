import { randomBytes } from 'node:crypto';
import type { Services } from '../../src/server';
import { DEVICES } from '../../test/support/client';
import { PASSWORD } from '../../test/support/accounts';
import { mapWithConcurrency } from './concurrency';

export interface SeededSession {
  id: string;
  token: string;
}

export interface SeededAccount {
  userId: string;
  /** The registration's own session: the one that revokes the others. */
  owner: SeededSession;
  /** Further sign-ins, on a rotation of real-looking devices. */
  others: SeededSession[];
}

const DEVICE_LIST = Object.values(DEVICES);

/**
 * Registers `accounts` accounts (one argon2 hash each) and opens `sessionsPerAccount` more
 * sessions on each through the service layer: what a sign-in does after the password check,
 * without paying argon2 a thousand times.
 */
export async function seedAccounts(services: Services, options: { accounts: number; sessionsPerAccount: number; concurrency?: number }): Promise<SeededAccount[]> {
  const concurrency = options.concurrency ?? 8;
  const owners = await mapWithConcurrency(
    Array.from({ length: options.accounts }, (_, i) => i),
    2,
    async (i) => {
      const device = DEVICE_LIST[i % DEVICE_LIST.length] as (typeof DEVICE_LIST)[number];
      const email = `bench-${randomBytes(6).toString('hex')}@example.com`;
      const signedIn = await services.auth.register(email, PASSWORD, { ipAddress: device.ip, userAgent: device.userAgent });
      return { userId: signedIn.user.id, owner: { id: signedIn.session.id, token: signedIn.token } };
    },
  );
  const jobs = owners.flatMap((owner, account) => Array.from({ length: options.sessionsPerAccount }, (_, i) => ({ account, userId: owner.userId, i })));
  const accounts: SeededAccount[] = owners.map((owner) => ({ ...owner, others: [] }));
  await mapWithConcurrency(jobs, concurrency, async ({ account, userId, i }) => {
    const device = DEVICE_LIST[(i + 1) % DEVICE_LIST.length] as (typeof DEVICE_LIST)[number];
    const { token, session } = await services.sessions.open(userId, { ipAddress: device.ip, userAgent: device.userAgent });
    accounts[account]?.others.push({ id: session.id, token });
  });
  return accounts;
}
