import { LoginDocument, RevokeSessionDocument, SessionsDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD, type SignIn } from '../support/accounts';
import { dataOf, DEVICES, graphql } from '../support/client';
import { clusterPerSuite } from '../support/cluster';
import { countDatabaseRoundTrips } from '../support/database-round-trips';
import { until } from '../support/deferred';

/**
 * Each instance keeps an account's list of live sessions in memory, under the lease that guards
 * tokens (ADR 0009): a list without a database read, and still no ended session shown anywhere
 * once its ending returned, and no sign-in missing from the list its own device asks for.
 */
describe('the session list served from memory', () => {
  const cluster = clusterPerSuite({ count: 2, env: { SESSION_CACHE_LEASE_MS: '2000' } });
  const urls = () => cluster.instances.map((instance) => instance.url) as [string, string];
  const listOn = async (url: string, signIn: SignIn) => dataOf(await graphql(url, SessionsDocument, {}, { token: signIn.token, device: signIn.device })).sessions;

  it('answers repeated lists with no database round trip', async () => {
    const [one, two] = urls();
    const { signIns } = await accountWithDevices(one);
    const a = signIns[0]!;
    await listOn(two, a);
    await listOn(two, a);

    const roundTrips = countDatabaseRoundTrips(cluster.instances[1]!.services.dataSource);
    for (let i = 0; i < 100; i++) expect((await listOn(two, a)).map((session) => session.id).sort()).toEqual(signIns.map((s) => s.session.id).sort());
    // The lease renewal reads Postgres every 500 ms; the 100 lists read nothing.
    expect(roundTrips.count).toBeLessThan(10);
  });

  it('shows no ended session on any instance once its revokeSession returned, over 50 endings while the list is read in a loop', async () => {
    const [one, two] = urls();
    const { signIns } = await accountWithDevices(one, [DEVICES.chromeOnWindows, ...Array.from({ length: 50 }, () => DEVICES.safariOnIphone)]);
    const [a, ...others] = signIns as [SignIn, ...SignIn[]];
    const ended = new Set<string>();
    const shownAfterReturn: string[] = [];
    let reads = 0;
    let revoking = true;
    const hammer = async (url: string) => {
      while (revoking) {
        const endedBefore = new Set(ended);
        const listed = await listOn(url, a);
        reads++;
        for (const session of listed) if (endedBefore.has(session.id)) shownAfterReturn.push(session.id);
      }
    };
    const hammers = [hammer(one), hammer(two)];
    for (const other of others) {
      dataOf(await graphql(one, RevokeSessionDocument, { id: other.session.id }, { token: a.token, device: a.device }));
      ended.add(other.session.id);
    }
    revoking = false;
    await Promise.all(hammers);
    expect(shownAfterReturn).toEqual([]);
    expect(reads).toBeGreaterThan(50);
    for (const url of [one, two]) expect((await listOn(url, a)).map((session) => session.id)).toEqual([a.session.id]);
  });

  it('shows a sign-in made on another instance at once to the device that signed in', async () => {
    const [one, two] = urls();
    const { email, signIns } = await accountWithDevices(one, [DEVICES.chromeOnWindows]);
    const a = signIns[0]!;
    expect((await listOn(two, a)).map((session) => session.id)).toEqual([a.session.id]); // now in two's memory

    const login = dataOf(await graphql(one, LoginDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.firefoxOnMac })).login;
    const b: SignIn = { ...login, device: DEVICES.firefoxOnMac };
    // The new device asks instance two straight away: its own session is in the list, current.
    const seenByB = await listOn(two, b);
    expect(seenByB.map((session) => [session.id, session.current])).toEqual([
      [b.session.id, true],
      [a.session.id, false],
    ]);
    expect((await listOn(two, a)).map((session) => session.id)).toEqual([b.session.id, a.session.id]);
  });

  it('shows a sign-in made on another instance to the other devices when the news arrives, long before the list would be read again', async () => {
    const [one, two] = urls();
    const { email, signIns } = await accountWithDevices(one, [DEVICES.chromeOnWindows]);
    const a = signIns[0]!;
    expect((await listOn(two, a)).map((session) => session.id)).toEqual([a.session.id]);

    const b = dataOf(await graphql(one, LoginDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.firefoxOnMac })).login;
    // Lists are read again after ACTIVITY_WRITE_INTERVAL_SECONDS (60 s); SESSION_ADDED drops two's copy at once.
    await until(async () => (await listOn(two, a)).length === 2, 'instance two to list the new sign-in', 2_000);
    expect((await listOn(two, a)).map((session) => session.id)).toEqual([b.session.id, a.session.id]);
  });
});
