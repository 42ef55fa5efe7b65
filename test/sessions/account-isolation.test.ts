import { OnSessionTerminatedDocument, RevokeSessionDocument, SessionByIdDocument, SessionsDocument } from '../generated/graphql';
import { accountWithDevices } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql } from '../support/client';
import { clusterPerSuite } from '../support/cluster';

describe('an account never sees or touches another account’s sessions', () => {
  const suite = clusterPerSuite();

  it('lists only its own sessions', async () => {
    const mallory = (await accountWithDevices(suite.url, [DEVICES.firefoxOnMac])).signIns[0]!;
    const alice = await accountWithDevices(suite.url);
    const listed = dataOf(await graphql(suite.url, SessionsDocument, {}, { token: mallory.token })).sessions;
    expect(listed.map((s) => s.id)).toEqual([mallory.session.id]);
    expect(listed.map((s) => s.id)).not.toContain(alice.signIns[0]!.session.id);
  });

  it('reads another account’s session id as null and revoking it is NOT_FOUND, exactly like a missing id', async () => {
    const mallory = (await accountWithDevices(suite.url, [DEVICES.firefoxOnMac])).signIns[0]!;
    const alice = (await accountWithDevices(suite.url, [DEVICES.safariOnIphone])).signIns[0]!;
    const aliceSocket = await suite.connect(alice.token, alice.device);
    const aliceEvents = aliceSocket.subscribe(OnSessionTerminatedDocument);
    await suite.waitForSubscribers(1);

    const read = await graphql(suite.url, SessionByIdDocument, { id: alice.session.id }, { token: mallory.token });
    expect(read.errors).toBeUndefined();
    expect(read.data?.session).toBeNull();

    const foreign = await graphql(suite.url, RevokeSessionDocument, { id: alice.session.id }, { token: mallory.token });
    const missing = await graphql(suite.url, RevokeSessionDocument, { id: '00000000-0000-4000-8000-000000000000' }, { token: mallory.token });
    const malformed = await graphql(suite.url, RevokeSessionDocument, { id: "1' OR '1'='1" }, { token: mallory.token });
    expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
    expect(foreign.errors).toEqual(missing.errors);
    expect(malformed.errors).toEqual(missing.errors);

    // Alice's session is untouched.
    expect(dataOf(await graphql(suite.url, SessionsDocument, {}, { token: alice.token })).sessions.map((s) => s.id)).toEqual([alice.session.id]);
    expect(aliceEvents.pending).toBe(0);
  });

  it('reads its own live session by id, with current set relative to the caller', async () => {
    const { signIns } = await accountWithDevices(suite.url);
    const [a, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
    const own = dataOf(await graphql(suite.url, SessionByIdDocument, { id: b.session.id }, { token: a.token })).session;
    expect(own).toMatchObject({ id: b.session.id, current: false, device: { label: 'Safari on iOS' } });
    dataOf(await graphql(suite.url, RevokeSessionDocument, { id: b.session.id }, { token: a.token }));
    expect(dataOf(await graphql(suite.url, SessionByIdDocument, { id: b.session.id }, { token: a.token })).session).toBeNull();
  });
});
