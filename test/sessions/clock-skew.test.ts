import { join } from 'node:path';
import { ChildServer } from '../../bench/lib/child-server';
import { waitUntil } from '../../bench/lib/wait';
import { LoginDocument, MeDocument, OnSessionTerminatedDocument, RevokeSessionDocument, SessionsDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD } from '../support/accounts';
import { dataOf, DEVICES, graphql, LiveConnection } from '../support/client';
import { clusterPerSuite, sameStoresEnv } from '../support/cluster';

const HOUR_MS = 3600_000;

describe('an instance whose clock runs 2 h fast', () => {
  const suite = clusterPerSuite({ env: { SESSION_TTL_SECONDS: '3600', EXPIRY_SWEEP_SECONDS: '3600' } });
  let fast: ChildServer | undefined;

  beforeAll(async () => {
    const { config } = suite;
    // Same stores as the cluster, in a process of its own whose Date is 2 h ahead.
    fast = await ChildServer.start('signoff-server.ts', {
      nodeOptions: ['-r', join(__dirname, '..', 'support', 'skewed-clock.js')],
      env: {
        CLOCK_SKEW_SECONDS: String(2 * 3600),
        ...sameStoresEnv(config),
        SESSION_TTL_SECONDS: '3600',
        EXPIRY_SWEEP_SECONDS: '3600',
        OUTBOX_DIR: config.outboxDir,
      },
    });
  }, 60_000);

  afterAll(async () => {
    await fast?.stop();
  });

  it('accepts, lists and keeps sessions that have an hour left, and stamps new ones with the database clock', async () => {
    const { email, signIns } = await accountWithDevices(suite.url);
    const [a, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
    const fastUrl = fast!.url;

    const socket = await LiveConnection.open(fastUrl, b.token, b.device);
    suite.track(socket);
    const events = socket.subscribe(OnSessionTerminatedDocument);
    await waitUntil(async () => (await fast!.request<{ subscriptions: number }>('counts')).subscriptions === 1, 'the subscription', 5000);
    await fast!.request('sweep');

    expect(dataOf(await graphql(fastUrl, MeDocument, {}, { token: b.token })).me.email).toBe(email);
    expect(
      dataOf(await graphql(fastUrl, SessionsDocument, {}, { token: a.token }))
        .sessions.map((s) => s.id)
        .sort(),
    ).toEqual([a.session.id, b.session.id].sort());

    const signedInAt = Date.now();
    const onFast = dataOf(await graphql(fastUrl, LoginDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.chromeOnPixel })).login;
    const expiresIn = Date.parse(onFast.session.expiresAt) - signedInAt;
    expect(expiresIn).toBeGreaterThan(HOUR_MS - 60_000);
    expect(expiresIn).toBeLessThan(HOUR_MS + 60_000);

    // The first thing b's socket hears is the revocation below, not an expiry from the sweep above.
    dataOf(await graphql(suite.url, RevokeSessionDocument, { id: b.session.id }, { token: a.token }));
    expect((await events.next()).sessionTerminated).toMatchObject({ sessionId: b.session.id, reason: 'REVOKED' });
  });
});
