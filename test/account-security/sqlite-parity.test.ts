import { DataSource } from 'typeorm';
import { AuditLogDocument, LoginDocument, LogoutDocument, MeDocument, OnSessionTerminatedDocument, RevokeSessionDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD, type SignIn } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql, LiveConnection, graphqlErrors } from '../support/client';
import { startCluster, waitForSubscribers, type TestCluster } from '../support/server';

/** The embedded default (SQLite, in-process events) behaves as the Postgres + Redis deployment does. */


describe('account security on the embedded SQLite store', () => {
  let cluster: TestCluster;
  let url: string;
  const open: LiveConnection[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ backend: 'sqlite', env: { STEP_UP_WINDOW_SECONDS: '0' } });
    url = cluster.instances[0]!.url;
  });
  afterAll(async () => {
    await Promise.all(open.map((connection) => connection.dispose()));
    await cluster.dispose();
  });

  const auditLog = async (token: string, first: number, after?: string | null) => dataOf(await graphql(url, AuditLogDocument, { first, after }, { token })).auditLog;

  it('revoking another device needs a confirmation, then ends it at once, and the audit log shows it', async () => {
    const { signIns } = await accountWithDevices(url);
    const [a, b] = signIns as [SignIn, SignIn];
    const bSocket = await LiveConnection.open(url, b.token, b.device);
    open.push(bSocket);
    const bEvents = bSocket.subscribe(OnSessionTerminatedDocument);
    await waitForSubscribers(cluster, 1);

    const unconfirmed = await graphql(url, RevokeSessionDocument, { id: b.session.id }, { token: a.token });
    expect(errorCodes(unconfirmed)).toEqual(['STEP_UP_REQUIRED']);
    expect(unconfirmed.errors?.[0]?.extensions?.methods).toEqual(['PASSWORD', 'EMAIL_CODE']);
    expect(errorCodes(await graphql(url, RevokeSessionDocument, { id: b.session.id, confirmation: { password: 'wrong password' } }, { token: a.token }))).toEqual([
      'INVALID_CONFIRMATION',
    ]);
    expect(dataOf(await graphql(url, MeDocument, {}, { token: b.token })).me.id).toBe(a.user.id);

    const revoked = dataOf(await graphql(url, RevokeSessionDocument, { id: b.session.id, confirmation: { password: PASSWORD } }, { token: a.token, device: a.device }));
    expect(revoked.revokeSession.revokedSessionIds).toEqual([b.session.id]);
    expect((await bEvents.next()).sessionTerminated).toMatchObject({ reason: 'REVOKED', terminatedBy: { id: a.session.id } });
    expect((await bSocket.waitForClose()).code).toBe(4401);
    expect(graphqlErrors(bEvents.errors)).toEqual([]);
    expect(errorCodes(await graphql(url, MeDocument, {}, { token: b.token }))).toEqual(['UNAUTHENTICATED']);

    const log = (await auditLog(a.token, 10)).edges.map((edge) => edge.node);
    expect(log.map((e) => e.type)).toEqual(['SESSION_REVOKED', 'CONFIRMATION_FAILED', 'LOGIN', 'LOGIN']);
    expect(log[0]).toMatchObject({ actorSessionId: a.session.id, targetSessionIds: [b.session.id], deviceLabel: 'Chrome on Windows', ipAddress: a.device.ip });
  });

  it('pages the audit log newest first with no event repeated or skipped, and refuses a garbage cursor', async () => {
    const { email, signIns } = await accountWithDevices(url, [DEVICES.chromeOnWindows]);
    const a = signIns[0]!;
    const expectedOldestFirst = ['LOGIN'];
    for (const device of [DEVICES.safariOnIphone, DEVICES.chromeOnPixel]) {
      const signIn = dataOf(await graphql(url, LoginDocument, { input: { email, password: PASSWORD } }, { device })).login;
      dataOf(await graphql(url, LogoutDocument, {}, { token: signIn.token }));
      expectedOldestFirst.push('LOGIN', 'LOGOUT');
    }
    expect(errorCodes(await graphql(url, LoginDocument, { input: { email, password: 'wrong password' } }))).toEqual(['INVALID_CREDENTIALS']);
    expectedOldestFirst.push('LOGIN_FAILED');

    const all = (await auditLog(a.token, 100)).edges.map((edge) => edge.node);
    expect(all.map((e) => e.type)).toEqual([...expectedOldestFirst].reverse());
    const walked: string[] = [];
    const hasNext: boolean[] = [];
    let after: string | null = null;
    for (let i = 0; i < 5; i++) {
      const page: Awaited<ReturnType<typeof auditLog>> = await auditLog(a.token, 2, after);
      walked.push(...page.edges.map((edge) => edge.node.id));
      hasNext.push(page.pageInfo.hasNextPage);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(walked).toEqual(all.map((e) => e.id));
    expect(hasNext).toEqual([true, true, false]);

    expect(errorCodes(await graphql(url, AuditLogDocument, { first: 2, after: 'garbage' }, { token: a.token }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await graphql(url, AuditLogDocument, { first: 101 }, { token: a.token }))).toEqual(['BAD_USER_INPUT']);
  });

  it('stores the audit log append-only: the database refuses to update or delete an event', async () => {
    const { signIns } = await accountWithDevices(url, [DEVICES.chromeOnWindows]);
    const userId = signIns[0]!.user.id;
    // A connection of its own to the same file, as an operator with a SQL shell would have.
    const db = new DataSource({ type: 'better-sqlite3', database: cluster.config.sqlitePath });
    await db.initialize();
    try {
      const rows = () => db.query('SELECT id, type, ip_address FROM audit_events WHERE user_id = ? ORDER BY id', [userId]);
      const before = await rows();
      expect(before).toHaveLength(1);
      await expect(db.query(`UPDATE audit_events SET ip_address = '10.0.0.1' WHERE user_id = ?`, [userId])).rejects.toThrow(/append-only/);
      await expect(db.query('DELETE FROM audit_events WHERE user_id = ?', [userId])).rejects.toThrow(/append-only/);
      expect(await rows()).toEqual(before);
    } finally {
      await db.destroy();
    }
  });
});
