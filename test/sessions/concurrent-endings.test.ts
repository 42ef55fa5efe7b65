import { LogoutDocument, OnSessionTerminatedDocument, RegisterDocument, RevokeSessionDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD, uniqueEmail } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql } from '../support/client';
import { clusterPerSuite, sql } from '../support/cluster';

describe('endings that race', () => {
  const sqlite = clusterPerSuite({ backend: 'sqlite' });
  const pair = clusterPerSuite({ count: 2 });

  it('on the embedded SQLite default, ten accounts logging out at once all succeed', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 10; i++) {
      tokens.push(dataOf(await graphql(sqlite.url, RegisterDocument, { input: { email: uniqueEmail(), password: PASSWORD } })).register.token);
    }
    const results = await Promise.all(tokens.map((token) => graphql(sqlite.url, LogoutDocument, {}, { token })));
    expect(results.map((response) => errorCodes(response))).toEqual(Array(10).fill([]));
  });

  it('two devices revoking the same session on two instances at once end it once: one event, one audit line', async () => {
    const [one, two] = pair.instances.map((instance) => instance.url) as [string, string];
    const { signIns } = await accountWithDevices(one, [DEVICES.chromeOnWindows, DEVICES.chromeOnPixel, DEVICES.safariOnIphone]);
    const [a, c, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0], (typeof signIns)[0]];
    const bSocket = await pair.connect(b.token, b.device, two);
    const bEvents = bSocket.subscribe(OnSessionTerminatedDocument);
    await pair.waitForSubscribers(1);

    const [fromA, fromC] = await Promise.all([
      graphql(one, RevokeSessionDocument, { id: b.session.id }, { token: a.token }),
      graphql(two, RevokeSessionDocument, { id: b.session.id }, { token: c.token }),
    ]);

    // One of them ended it; the other found nothing left to end (NOT_FOUND if it looked after the commit).
    const outcomes = [fromA, fromC].map((response) => String(response.data?.revokeSession.revokedCount ?? errorCodes(response)[0]));
    expect(outcomes.filter((outcome) => outcome === '1')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome !== '1')).toEqual([expect.stringMatching(/^(0|NOT_FOUND)$/)]);
    expect((await bEvents.next()).sessionTerminated.reason).toBe('REVOKED');
    expect((await bSocket.waitForClose()).code).toBe(4401);
    expect(bEvents.pending).toBe(0);
    const audit = await sql(pair, `SELECT id FROM audit_events WHERE type = 'SESSION_REVOKED' AND target_session_ids = $1`, [b.session.id]);
    expect(audit).toHaveLength(1);
  });
});
