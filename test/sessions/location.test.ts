import { LoginDocument, SessionsDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD } from '../support/accounts';
import { dataOf, DEVICES, graphql } from '../support/client';
import { clusterPerSuite, startCluster } from '../support/cluster';

describe('the place of a sign-in behind a trusted proxy', () => {
  // A load balancer on loopback forwards the real client address in X-Forwarded-For.
  const cluster = clusterPerSuite({ env: { TRUST_PROXY: 'loopback' } });

  it('records the forwarded public address and its country, region and city', async () => {
    const { email, signIns } = await accountWithDevices(cluster.url, [DEVICES.chromeOnWindows]);
    const a = signIns[0]!;
    dataOf(await graphql(cluster.url, LoginDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.safariOnIphone, headers: { 'x-forwarded-for': '81.2.69.142' } }));
    const sessions = dataOf(await graphql(cluster.url, SessionsDocument, {}, { token: a.token })).sessions;
    expect(sessions[0]).toMatchObject({ ipAddress: '81.2.69.142', location: { countryCode: 'GB', country: 'United Kingdom' } });
    expect(sessions[0]?.location.city).toEqual(expect.any(String));
    expect(sessions[1]).toMatchObject({ ipAddress: '127.0.0.2', location: { countryCode: null } });
  });

  it('ignores X-Forwarded-For from an untrusted peer', async () => {
    const untrusted = await startCluster({ backend: 'sqlite' });
    try {
      const url2 = untrusted.url;
      const response = await graphql<{ register: { session: { ipAddress: string } } }, Record<string, never>>(
        url2,
        'mutation { register(input: {email: "x@example.com", password: "long enough password"}) { session { ipAddress } } }',
        {},
        { headers: { 'x-forwarded-for': '81.2.69.142' } },
      );
      const { session } = dataOf(response).register;
      expect(session.ipAddress).toBe('127.0.0.2');
    } finally {
      await untrusted.dispose();
    }
  });
});
