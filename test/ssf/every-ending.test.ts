import {
  AdminRevokeSessionDocument,
  ChangePasswordDocument,
  LogoutDocument,
  ReportUnrecognizedSessionDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  RevokeOtherSessionsDocument,
  RevokeSessionDocument,
  RevokeUserSessionsDocument,
  RegisterDocument,
  VerifyEmailDocument,
} from '../generated/graphql';
import { accountWithDevices, PASSWORD, type SignIn } from '../support/accounts';
import { dataOf, graphql } from '../support/client';
import { linkParam, PUBLIC_URL, startCluster, type MailCluster } from '../support/cluster';
import { originOf, serviceClient, ssfCall, TestReceiver, type ReceivedSet, type TestServiceClient } from '../support/ssf';
import { SessionEntity } from '../../src/sessions/session.entity';
import { ServiceScope } from '../../src/service-clients/service-client.entity';

const CAEP_SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const NEW_PASSWORD = 'quantum walrus juggles eleven lanterns';

interface Ending {
  /** What the path is called in the README and the issue. */
  path: string;
  /** Ends sessions the way a user (or the server, or support staff) would; returns the ids it should have ended. */
  run(ctx: { a: SignIn; b: SignIn; email: string }): Promise<string[]>;
  initiatingEntity: 'user' | 'policy' | 'admin';
  /** The account starts with an unproven address (a squatter's). */
  unverified?: boolean;
  /** reason_admin starts with our reason code. */
  code: string;
}

describe('SSF: every ending, on every path (including an address reclaimed from a squatter), sends one signed CAEP session-revoked SET per ended session', () => {
  let env: MailCluster;
  let receiver: TestReceiver;
  let ssfClient: TestServiceClient;
  let admin: TestServiceClient;
  let streamId: string;

  beforeAll(async () => {
    env = await startCluster({ smtp: true, env: { SSF_ALLOW_PRIVATE_RECEIVERS: 'true', SSF_PUSH_RETRY_BASE_MS: '50', SSF_DELIVERY_INTERVAL_MS: '200' } });
    const instance = env.instances[0]!;
    receiver = await TestReceiver.start(originOf(instance.url));
    ssfClient = await serviceClient(instance, [ServiceScope.SSF_MANAGE, ServiceScope.SSF_READ], 'payments');
    admin = await serviceClient(instance, [ServiceScope.ADMIN], 'support desk');
    const created = await ssfCall(instance, ssfClient.accessToken, 'POST', '/ssf/streams', {
      delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: receiver.url },
      events_requested: [CAEP_SESSION_REVOKED],
    });
    expect(created.status).toBe(201);
    streamId = String(created.body.stream_id);
  });
  afterAll(async () => {
    await env?.dispose();
    await receiver?.close();
  });

  const url = () => env.url;
  const services = () => env.instances[0]!.services;

  const endings: Ending[] = [
    {
      path: 'logout',
      run: async ({ b }) => {
        dataOf(await graphql(url(), LogoutDocument, {}, { token: b.token, device: b.device }));
        return [b.session.id];
      },
      initiatingEntity: 'user',
      code: 'LOGOUT',
    },
    {
      path: 'revoke one',
      run: async ({ a, b }) => {
        dataOf(await graphql(url(), RevokeSessionDocument, { id: b.session.id }, { token: a.token, device: a.device }));
        return [b.session.id];
      },
      initiatingEntity: 'user',
      code: 'REVOKED',
    },
    {
      path: 'revoke others',
      run: async ({ a, b }) => {
        dataOf(await graphql(url(), RevokeOtherSessionsDocument, {}, { token: a.token, device: a.device }));
        return [b.session.id];
      },
      initiatingEntity: 'user',
      code: 'SIGNED_OUT_EVERYWHERE',
    },
    {
      path: 'password change',
      run: async ({ a, b }) => {
        dataOf(await graphql(url(), ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, { token: a.token, device: a.device }));
        return [b.session.id];
      },
      initiatingEntity: 'user',
      code: 'PASSWORD_CHANGED',
    },
    {
      path: 'password reset',
      run: async ({ a, b, email }) => {
        dataOf(await graphql(url(), RequestPasswordResetDocument, { email }));
        const token = linkParam(await env.smtp.next((mail) => mail.to === email && /reset/i.test(mail.subject)), '/reset-password', 'token');
        dataOf(await graphql(url(), ResetPasswordDocument, { token, newPassword: NEW_PASSWORD }));
        return [a.session.id, b.session.id];
      },
      initiatingEntity: 'user',
      code: 'PASSWORD_RESET',
    },
    {
      path: '"this wasn\'t me"',
      run: async ({ b, email }) => {
        const alert = await env.smtp.next((mail) => mail.to === email && /new sign-in/i.test(mail.subject));
        dataOf(await graphql(url(), ReportUnrecognizedSessionDocument, { token: linkParam(alert, '/report-sign-in', 'token') }));
        return [b.session.id];
      },
      initiatingEntity: 'user',
      code: 'REPORTED_UNRECOGNIZED',
    },
    {
      path: 'expiry',
      run: async ({ a, b }) => {
        await services().sweeper.sweep(new Date(Math.max(Date.parse(a.session.expiresAt), Date.parse(b.session.expiresAt)) + 1000));
        return [a.session.id, b.session.id];
      },
      initiatingEntity: 'policy',
      code: 'EXPIRED',
    },
    {
      path: 'idle timeout',
      run: async ({ b }) => {
        // Unused for 15 days (the idle timeout is 14).
        await services()
          .dataSource.getRepository(SessionEntity)
          .update({ id: b.session.id }, { lastActiveAt: new Date(Date.now() - 15 * 86_400_000) });
        await services().sweeper.sweep();
        return [b.session.id];
      },
      initiatingEntity: 'policy',
      code: 'IDLE_TIMEOUT',
    },
    {
      path: 'address reclaimed from a squatter',
      unverified: true,
      run: async ({ a, b, email }) => {
        // The mailbox's real owner registers the same address and follows the link: the squatter's sessions end.
        dataOf(await graphql(url(), RegisterDocument, { input: { email, password: NEW_PASSWORD } }));
        const claim = await env.smtp.next((mail) => mail.to === email && /without having confirmed it/.test(mail.text));
        dataOf(await graphql(url(), VerifyEmailDocument, { token: linkParam(claim, '/verify-email', 'token') }));
        return [a.session.id, b.session.id];
      },
      initiatingEntity: 'policy',
      code: 'ACCOUNT_RECLAIMED',
    },
    {
      path: 'admin: revokeUserSessions',
      run: async ({ a, b }) => {
        const result = dataOf(await graphql(url(), RevokeUserSessionsDocument, { userId: a.user.id, reason: 'ticket 4521' }, { token: admin.accessToken }));
        expect(result.revokeUserSessions.revokedCount).toBe(2);
        return [a.session.id, b.session.id];
      },
      initiatingEntity: 'admin',
      code: 'ADMIN_REVOKED',
    },
    {
      path: 'admin: revokeSession',
      run: async ({ b }) => {
        dataOf(await graphql(url(), AdminRevokeSessionDocument, { id: b.session.id, reason: 'ticket 4522' }, { token: admin.accessToken }));
        return [b.session.id];
      },
      initiatingEntity: 'admin',
      code: 'ADMIN_REVOKED',
    },
  ];

  it.each(endings)('$path', async (ending) => {
    const { email, signIns } = await accountWithDevices(url(), undefined, { verified: !ending.unverified });
    const [a, b] = signIns as [SignIn, SignIn];
    const before = receiver.sets.length;
    const started = Math.floor(Date.now() / 1000);

    const ended = await ending.run({ a, b, email });

    await receiver.waitFor(before + ended.length);
    await services().serviceApi.push.idle();
    const mine = receiver.sets.slice(before).filter((set) => (set.claims.sub_id as { user: { id: string } }).user.id === a.user.id);
    // Exactly one per ended session: no more, no fewer, none for a session that lives on.
    expect(mine.map((set) => (set.claims.sub_id as { session: { id: string } }).session.id).sort()).toEqual([...ended].sort());
    expect(receiver.rejected).toEqual([]);
    const jwks = await services().serviceApi.keys.jwks();
    for (const set of mine) expectSessionRevoked(set, { ending, userId: a.user.id, started, kid: String(jwks.keys[0]!.kid) });
  });

  function expectSessionRevoked(set: ReceivedSet, expected: { ending: Ending; userId: string; started: number; kid: string }): void {
    expect(set.header).toEqual({ alg: 'RS256', kid: expected.kid, typ: 'secevent+jwt' });
    expect(set.claims).toMatchObject({ iss: PUBLIC_URL, aud: ssfClient.clientId });
    expect(set.claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(set.claims.sub_id).toEqual({
      format: 'complex',
      session: { format: 'opaque', id: expect.any(String) },
      user: { format: 'opaque', id: expected.userId },
    });
    expect(Object.keys(set.claims.events as object)).toEqual([CAEP_SESSION_REVOKED]);
    const event = TestReceiver.sessionRevoked(set);
    expect(event.initiating_entity).toBe(expected.ending.initiatingEntity);
    expect((event.reason_admin as { en: string }).en.startsWith(`${expected.ending.code}:`)).toBe(true);
    expect((event.reason_user as { en: string }).en).toEqual(expect.any(String));
    if (expected.ending.path.startsWith('admin')) expect((event.reason_admin as { en: string }).en).toMatch(/ticket 452\d$/);
    // event_timestamp is the ending's time, not the delivery's (expiry is swept at a time of its choosing).
    expect(event.event_timestamp).toEqual(expect.any(Number));
    if (expected.ending.code !== 'EXPIRED') expect(Math.abs((event.event_timestamp as number) - expected.started)).toBeLessThan(60);
  }

  it('the stream delivery log records each SET the receiver accepted', async () => {
    const log = await ssfCall<{ jti: string; outcome: string; http_status: number }[]>(
      env.instances[0]!,
      ssfClient.accessToken,
      'GET',
      `/ssf/deliveries?stream_id=${streamId}&limit=1000`,
    );
    expect(log.status).toBe(200);
    const delivered = new Set(log.body.filter((entry) => entry.outcome === 'delivered' && entry.http_status === 202).map((entry) => entry.jti));
    for (const set of receiver.sets) expect(delivered.has(set.jti)).toBe(true);
  });

  it('the SET is signed by the key the JWKS publishes (RS256, 2048-bit or more)', async () => {
    const jwks = (await (await fetch(`${originOf(env.url)}/ssf/jwks`)).json()) as { keys: { kty: string; n: string; kid: string; alg: string; d?: string }[] };
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256' });
    expect(key!.d).toBeUndefined();
    expect(Buffer.from(key!.n, 'base64url').length * 8).toBeGreaterThanOrEqual(2048);
    expect(receiver.sets.length).toBeGreaterThan(0);
    for (const set of receiver.sets) expect(set.header.kid).toBe(key!.kid);
  });
});
