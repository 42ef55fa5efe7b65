import { AuditLogDocument, LoginDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql } from '../support/client';
import { startCluster, sql, type TestCluster } from '../support/cluster';
import { until } from '../support/deferred';

/**
 * A failed sign-in's LOGIN_FAILED event is written after the answer (buffered, so that a known
 * address answers as fast as an unknown one): it must still never be lost, nor show up late to
 * the owner, nor out of order.
 */
describe('failed sign-ins written after their answer', () => {
  let cluster: TestCluster;
  beforeEach(async () => {
    cluster = await startCluster({ count: 2, env: { STEP_UP_WINDOW_SECONDS: '0' } });
  });
  afterEach(async () => {
    await cluster.dispose();
  });

  const wrongPassword = async (url: string, email: string) =>
    expect(errorCodes(await graphql(url, LoginDocument, { input: { email, password: 'not the password' } }, { device: DEVICES.firefoxOnMac }))).toEqual(['INVALID_CREDENTIALS']);

  it('are stored by an instance that stops right after answering', async () => {
    const [a, b] = cluster.instances as [(typeof cluster.instances)[0], (typeof cluster.instances)[0]];
    const { email, signIns } = await accountWithDevices(b.url, [DEVICES.chromeOnWindows]);
    await wrongPassword(a.url, email);
    await a.dispose();

    const events = dataOf(await graphql(b.url, AuditLogDocument, { first: 10 }, { token: signIns[0]!.token })).auditLog.edges.map((edge) => edge.node);
    expect(events.map((event) => event.type)).toEqual(['LOGIN_FAILED', 'LOGIN']);
    expect(events[0]).toMatchObject({ deviceLabel: 'Firefox on macOS', actorSessionId: null });
  });

  it('show at once in the audit log read on the instance that answered, in the order they happened', async () => {
    const { email, signIns } = await accountWithDevices(cluster.url, [DEVICES.chromeOnWindows]);
    await wrongPassword(cluster.url, email);
    await wrongPassword(cluster.url, email);
    const second = dataOf(await graphql(cluster.url, LoginDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.safariOnIphone }));
    const events = dataOf(await graphql(cluster.url, AuditLogDocument, { first: 10 }, { token: signIns[0]!.token })).auditLog.edges.map((edge) => edge.node);
    expect(events.map((event) => event.type)).toEqual(['LOGIN', 'LOGIN_FAILED', 'LOGIN_FAILED', 'LOGIN']);
    expect(events[0]!.actorSessionId).toBe(second.login.session.id);
  });

  it('reach the other instances within moments', async () => {
    const { email, signIns } = await accountWithDevices(cluster.url, [DEVICES.chromeOnWindows]);
    const userId = signIns[0]!.user.id;
    await Promise.all(Array.from({ length: 5 }, () => wrongPassword(cluster.url, email)));
    await until(
      async () => (await sql<{ n: string }>(cluster, `SELECT count(*) AS n FROM audit_events WHERE user_id = $1 AND type = 'LOGIN_FAILED'`, [userId]))[0]!.n === '5',
      'the five failures to be stored',
    );
    const b = cluster.instances[1]!;
    const events = dataOf(await graphql(b.url, AuditLogDocument, { first: 10 }, { token: signIns[0]!.token })).auditLog.edges.map((edge) => edge.node);
    expect(events.filter((event) => event.type === 'LOGIN_FAILED')).toHaveLength(5);
  });
});
