import { LoginDocument, RegisterDocument } from '../generated/graphql';
import { PASSWORD, uniqueEmail } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql } from '../support/client';
import { clusterPerSuite } from '../support/cluster';

// The module object itself (an `import * as` namespace would be a copy): spying on it sees every hash the server computes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const argon2 = require('@node-rs/argon2') as typeof import('@node-rs/argon2');

describe('registrations per IP are limited, across instances, before any password is hashed', () => {
  // Two instances behind one Redis: the count is shared.
  const suite = clusterPerSuite({ count: 2, env: { REGISTER_LIMIT_PER_IP_PER_HOUR: '3' } });
  const register = (instance: number, device = DEVICES.safariOnIphone) =>
    graphql(suite.instances[instance]!.url, RegisterDocument, { input: { email: uniqueEmail(), password: PASSWORD } }, { device });

  afterEach(() => jest.restoreAllMocks());

  it('the fourth registration from one IP in the hour is RATE_LIMITED on any instance, hashes no password, and sign-in still works', async () => {
    const first = dataOf(await register(0)).register;
    dataOf(await register(1));
    const hash = jest.spyOn(argon2, 'hash');
    dataOf(await register(0));
    expect(hash).toHaveBeenCalledTimes(1);

    for (const instance of [0, 1]) {
      const limited = await register(instance);
      expect(errorCodes(limited)).toEqual(['RATE_LIMITED']);
      expect(limited.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(3000);
    }
    expect(hash).toHaveBeenCalledTimes(1);

    // Another address is not affected, and neither is signing in from the limited one.
    hash.mockRestore();
    dataOf(await register(1, DEVICES.chromeOnPixel));
    expect(dataOf(await graphql(suite.url, LoginDocument, { input: { email: first.user.email, password: PASSWORD } }, { device: DEVICES.safariOnIphone })).login.user.id).toBe(
      first.user.id,
    );
  });
});
