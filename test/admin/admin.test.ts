import {
  AdminRevokeSessionDocument,
  AuditLogDocument,
  MeDocument,
  OnSessionTerminatedDocument,
  RevokeUserSessionsDocument,
  UserByEmailDocument,
  UserSessionsDocument,
} from '../generated/graphql';
import { accountWithDevices, type SignIn } from '../support/accounts';
import { dataOf, errorCodes, graphql } from '../support/client';
import { clusterPerSuite, sql } from '../support/cluster';
import { serviceClient, type TestServiceClient } from '../support/ssf';
import { ServiceScope } from '../../src/service-clients/service-client.entity';

describe('admin GraphQL surface for a service client with the admin scope', () => {
  const cluster = clusterPerSuite({ count: 2 });
  let admin: TestServiceClient;
  beforeAll(async () => {
    admin = await serviceClient(cluster.instances[0]!, [ServiceScope.ADMIN], 'support desk');
  });

  it('finds an account by email and lists its live sessions, auditing each look-up with the client as actor', async () => {
    const { email, signIns } = await accountWithDevices(cluster.url);
    const [a, b] = signIns as [SignIn, SignIn];
    const found = dataOf(await graphql(cluster.url, UserByEmailDocument, { email: `  ${email.toUpperCase()}` }, { token: admin.accessToken })).userByEmail;
    expect(found).toEqual({ id: a.user.id, email, emailVerified: true });
    expect(dataOf(await graphql(cluster.url, UserByEmailDocument, { email: 'nobody-here@example.com' }, { token: admin.accessToken })).userByEmail).toBeNull();
    const listed = dataOf(await graphql(cluster.url, UserSessionsDocument, { userId: a.user.id }, { token: admin.accessToken })).userSessions;
    expect(listed).toEqual([
      { id: b.session.id, current: false },
      { id: a.session.id, current: false },
    ]);
    const audit = await sql<{ type: string; actor_client_id: string; device_label: string }>(
      cluster,
      `SELECT type, actor_client_id, device_label FROM audit_events WHERE user_id = $1 AND type = 'ADMIN_ACCOUNT_VIEWED'`,
      [a.user.id],
    );
    expect(audit).toEqual([
      { type: 'ADMIN_ACCOUNT_VIEWED', actor_client_id: admin.clientId, device_label: `service client ${admin.clientId}` },
      { type: 'ADMIN_ACCOUNT_VIEWED', actor_client_id: admin.clientId, device_label: `service client ${admin.clientId}` },
    ]);
  });

  it("revokeSession ends any account's session: the device gets sessionTerminated ADMIN_REVOKED on the other instance, then 4401", async () => {
    const { signIns } = await accountWithDevices(cluster.url);
    const [a, b] = signIns as [SignIn, SignIn];
    const socket = await cluster.connect(b.token, b.device, cluster.instances[1]!.url);
    const events = socket.subscribe(OnSessionTerminatedDocument);
    await cluster.waitForSubscribers(1);

    const result = dataOf(await graphql(cluster.url, AdminRevokeSessionDocument, { id: b.session.id, reason: 'ticket 77' }, { token: admin.accessToken })).revokeSession;
    expect(result).toEqual({ revokedCount: 1, revokedSessionIds: [b.session.id] });
    // Refused everywhere the moment the mutation returned.
    expect(errorCodes(await graphql(cluster.instances[1]!.url, MeDocument, {}, { token: b.token }))).toEqual(['UNAUTHENTICATED']);
    expect((await events.next()).sessionTerminated).toMatchObject({ sessionId: b.session.id, reason: 'ADMIN_REVOKED', terminatedBy: null });
    expect(await socket.waitForClose()).toEqual({ code: 4401, reason: 'Session terminated' });

    const [latest] = dataOf(await graphql(cluster.url, AuditLogDocument, { first: 1 }, { token: a.token })).auditLog.edges.map((edge) => edge.node);
    expect(latest).toMatchObject({ type: 'ADMIN_SESSIONS_REVOKED', actorSessionId: null, deviceLabel: `service client ${admin.clientId}`, targetSessionIds: [b.session.id] });
    expect(errorCodes(await graphql(cluster.url, AdminRevokeSessionDocument, { id: b.session.id }, { token: admin.accessToken }))).toEqual(['NOT_FOUND']);
  });

  it('revokeUserSessions ends every session of the account and is audited even when nothing was left', async () => {
    const { signIns } = await accountWithDevices(cluster.url);
    const [a, b] = signIns as [SignIn, SignIn];
    const ended = dataOf(await graphql(cluster.url, RevokeUserSessionsDocument, { userId: a.user.id, reason: 'compromised' }, { token: admin.accessToken })).revokeUserSessions;
    expect(ended.revokedSessionIds.sort()).toEqual([a.session.id, b.session.id].sort());
    for (const token of [a.token, b.token]) expect(errorCodes(await graphql(cluster.url, MeDocument, {}, { token }))).toEqual(['UNAUTHENTICATED']);
    expect(dataOf(await graphql(cluster.url, RevokeUserSessionsDocument, { userId: a.user.id }, { token: admin.accessToken })).revokeUserSessions.revokedCount).toBe(0);
    const audited = await sql<{ target_session_ids: string }>(
      cluster,
      `SELECT target_session_ids FROM audit_events WHERE user_id = $1 AND type = 'ADMIN_SESSIONS_REVOKED' ORDER BY at`,
      [a.user.id],
    );
    expect(audited.map((row) => row.target_session_ids.split(',').filter(Boolean).length)).toEqual([2, 0]);
  });

  it('is closed to session tokens and to service clients without the admin scope', async () => {
    const { signIns } = await accountWithDevices(cluster.url);
    const [a, b] = signIns as [SignIn, SignIn];
    const reader = await serviceClient(cluster.instances[0]!, [ServiceScope.SSF_READ, ServiceScope.INTROSPECT]);
    for (const token of [a.token, reader.accessToken, undefined]) {
      expect(errorCodes(await graphql(cluster.url, UserSessionsDocument, { userId: a.user.id }, { token }))).toEqual(['UNAUTHENTICATED']);
      expect(errorCodes(await graphql(cluster.url, RevokeUserSessionsDocument, { userId: a.user.id }, { token }))).toEqual(['UNAUTHENTICATED']);
    }
    // A user's revokeSession still reaches only their own sessions, and the reason argument changes nothing for them.
    expect(errorCodes(await graphql(cluster.url, AdminRevokeSessionDocument, { id: b.session.id }, { token: reader.accessToken }))).toEqual(['UNAUTHENTICATED']);
    expect(dataOf(await graphql(cluster.url, MeDocument, {}, { token: b.token })).me).toBeTruthy();
  });
});
