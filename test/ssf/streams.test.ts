import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { seedAccounts } from '../../bench/lib/seed';
import { LogoutDocument } from '../generated/graphql';
import { dataOf, graphql } from '../support/client';
import { clusterPerSuite, type Backend, startCluster, type TestCluster } from '../support/cluster';
import { originOf, serviceClient, ssfCall, TestReceiver, type TestServiceClient } from '../support/ssf';
import { ServiceScope } from '../../src/service-clients/service-client.entity';
import { postSet } from '../../src/ssf/receiver-endpoint';
import { SessionEntity } from '../../src/sessions/session.entity';

const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';
const CAEP_SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

describe.each<Backend>(['postgres', 'sqlite'])('SSF streams, status, verification and polling on %s', (backend) => {
  let cluster: TestCluster;
  let origin: string;
  let manager: TestServiceClient;
  let receiver: TestReceiver;

  beforeAll(async () => {
    cluster = await startCluster({ backend, env: { SSF_ALLOW_PRIVATE_RECEIVERS: 'true', PUBLIC_URL: 'https://signoff.example.test' } });
    origin = originOf(cluster.url);
    manager = await serviceClient(cluster.instances[0]!, [ServiceScope.SSF_MANAGE, ServiceScope.SSF_READ]);
    receiver = await TestReceiver.start(origin);
  });
  afterAll(async () => {
    await cluster?.dispose();
    await receiver?.close();
  });
  const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, token = manager.accessToken) =>
    ssfCall<T>(cluster.instances[0]!, token, method, path, body);
  const endOneSession = async () => {
    const [account] = await seedAccounts(cluster.instances[0]!.services, { accounts: 1, sessionsPerAccount: 1 });
    dataOf(await graphql(cluster.url, LogoutDocument, {}, { token: account!.others[0]!.token }));
    return account!.others[0]!.id;
  };

  it('publishes its configuration at /.well-known/ssf-configuration', async () => {
    const response = await fetch(`${origin}/.well-known/ssf-configuration`);
    expect(await response.json()).toEqual({
      spec_version: '1_0',
      issuer: 'https://signoff.example.test',
      jwks_uri: 'https://signoff.example.test/ssf/jwks',
      delivery_methods_supported: [PUSH, POLL],
      configuration_endpoint: 'https://signoff.example.test/ssf/streams',
      status_endpoint: 'https://signoff.example.test/ssf/status',
      verification_endpoint: 'https://signoff.example.test/ssf/verify',
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      default_subjects: 'ALL',
    });
  });

  it('creates, reads, updates and deletes a stream; another client sees none of it', async () => {
    const created = await call('POST', '/ssf/streams', {
      delivery: { method: PUSH, endpoint_url: receiver.url, authorization_header: 'Bearer receiver-secret' },
      events_requested: [CAEP_SESSION_REVOKED, 'https://example.com/unknown-event'],
      description: 'payments',
    });
    expect(created.status).toBe(201);
    const id = String(created.body.stream_id);
    expect(created.body).toEqual({
      stream_id: id,
      iss: 'https://signoff.example.test',
      aud: manager.clientId,
      delivery: { method: PUSH, endpoint_url: receiver.url },
      events_supported: [CAEP_SESSION_REVOKED],
      events_requested: [CAEP_SESSION_REVOKED, 'https://example.com/unknown-event'],
      events_delivered: [CAEP_SESSION_REVOKED],
      description: 'payments',
    });
    expect((await call('GET', `/ssf/streams?stream_id=${id}`)).body).toEqual(created.body);

    const other = await serviceClient(cluster.instances[0]!, [ServiceScope.SSF_MANAGE, ServiceScope.SSF_READ]);
    expect((await call('GET', `/ssf/streams?stream_id=${id}`, undefined, other.accessToken)).status).toBe(404);
    expect((await call('GET', '/ssf/streams', undefined, other.accessToken)).body).toEqual([]);
    expect((await call('DELETE', `/ssf/streams?stream_id=${id}`, undefined, other.accessToken)).status).toBe(404);

    const patched = await call('PATCH', '/ssf/streams', { stream_id: id, description: 'payments v2' });
    expect(patched.body).toMatchObject({ description: 'payments v2', delivery: { method: PUSH, endpoint_url: receiver.url } });
    const readOnly = await serviceClient(cluster.instances[0]!, [ServiceScope.SSF_READ]);
    expect((await call('PATCH', '/ssf/streams', { stream_id: id, description: 'x' }, readOnly.accessToken)).status).toBe(403);

    expect((await call('DELETE', `/ssf/streams?stream_id=${id}`)).status).toBe(204);
    expect((await call('GET', `/ssf/streams?stream_id=${id}`)).status).toBe(404);
  });

  it('sends the receiver-supplied authorization header with each push, and a verification event with its state', async () => {
    const created = await call('POST', '/ssf/streams', { delivery: { method: PUSH, endpoint_url: receiver.url, authorization_header: 'Bearer receiver-secret' } });
    const id = String(created.body.stream_id);
    const before = receiver.sets.length;
    expect((await call('POST', '/ssf/verify', { stream_id: id, state: 'abc123' })).status).toBe(204);
    await receiver.waitFor(before + 1);
    const set = receiver.sets[before]!;
    expect(set.claims.events).toEqual({ [VERIFICATION]: { state: 'abc123' } });
    expect(set.claims.sub_id).toEqual({ format: 'opaque', id });
    expect(set.authorization).toBe('Bearer receiver-secret');
    await call('DELETE', `/ssf/streams?stream_id=${id}`);
  });

  it('paused holds SETs until enabled; disabled drops them', async () => {
    const id = String((await call('POST', '/ssf/streams', { delivery: { method: PUSH, endpoint_url: receiver.url } })).body.stream_id);
    expect((await call('POST', '/ssf/status', { stream_id: id, status: 'paused', reason: 'maintenance' })).body).toEqual({
      stream_id: id,
      status: 'paused',
      reason: 'maintenance',
    });
    expect((await call('GET', `/ssf/status?stream_id=${id}`)).body).toMatchObject({ status: 'paused' });
    const before = receiver.sets.length;
    const held = await endOneSession();
    await cluster.instances[0]!.services.serviceApi.push.idle();
    expect(receiver.sets.length).toBe(before);

    await call('POST', '/ssf/status', { stream_id: id, status: 'enabled' });
    await receiver.waitFor(before + 1);
    expect((receiver.sets[before]!.claims.sub_id as { session: { id: string } }).session.id).toBe(held);

    await call('POST', '/ssf/status', { stream_id: id, status: 'disabled' });
    await endOneSession();
    await call('POST', '/ssf/status', { stream_id: id, status: 'enabled' });
    await cluster.instances[0]!.services.serviceApi.push.idle();
    expect(receiver.sets.length).toBe(before + 1);
    expect((await call('POST', '/ssf/status', { stream_id: id, status: 'sleepy' })).status).toBe(400);
    await call('DELETE', `/ssf/streams?stream_id=${id}`);
  });

  it('poll (RFC 8936): SETs stay available until acknowledged, in order', async () => {
    const created = await call('POST', '/ssf/streams', { delivery: { method: POLL } });
    const id = String(created.body.stream_id);
    expect(created.body.delivery).toEqual({ method: POLL, endpoint_url: `https://signoff.example.test/ssf/poll/${id}` });
    const ended = [await endOneSession(), await endOneSession(), await endOneSession()];
    const jwks = createLocalJWKSet((await (await fetch(`${origin}/ssf/jwks`)).json()) as JSONWebKeySet);

    const first = await call<{ sets: Record<string, string>; moreAvailable: boolean }>('POST', `/ssf/poll/${id}`, { maxEvents: 2, returnImmediately: true });
    expect(first.status).toBe(200);
    expect(first.body.moreAvailable).toBe(true);
    const firstJtis = Object.keys(first.body.sets);
    const sessions = [];
    for (const [jti, set] of Object.entries(first.body.sets)) {
      const { payload, protectedHeader } = await jwtVerify(set, jwks, { typ: 'secevent+jwt' });
      expect(payload.jti).toBe(jti);
      expect(protectedHeader.alg).toBe('RS256');
      sessions.push((payload.sub_id as { session: { id: string } }).session.id);
    }
    expect(sessions).toEqual(ended.slice(0, 2));
    // Not acknowledged: the same two again.
    expect(Object.keys((await call<{ sets: Record<string, string> }>('POST', `/ssf/poll/${id}`, { maxEvents: 2, returnImmediately: true })).body.sets)).toEqual(firstJtis);

    const second = await call<{ sets: Record<string, string>; moreAvailable: boolean }>('POST', `/ssf/poll/${id}`, { ack: firstJtis, maxEvents: 10, returnImmediately: true });
    expect(Object.keys(second.body.sets)).toHaveLength(1);
    expect(second.body.moreAvailable).toBe(false);
    const third = await call<{ sets: Record<string, string> }>('POST', `/ssf/poll/${id}`, { ack: Object.keys(second.body.sets), returnImmediately: true });
    expect(third.body.sets).toEqual({});
    const log = await call<{ outcome: string }[]>('GET', `/ssf/deliveries?stream_id=${id}`);
    expect(log.body.filter((entry) => entry.outcome === 'acknowledged')).toHaveLength(3);
    await call('DELETE', `/ssf/streams?stream_id=${id}`);
  });

  it('tells an idle session from an expired one (both EXPIRED here) in reason_admin, with initiating_entity policy', async () => {
    const id = String((await call('POST', '/ssf/streams', { delivery: { method: PUSH, endpoint_url: receiver.url } })).body.stream_id);
    const { services } = cluster.instances[0]!;
    const [account] = await seedAccounts(services, { accounts: 1, sessionsPerAccount: 2 });
    const idle = account!.others[0]!;
    const expiring = account!.others[1]!;
    await services.dataSource.getRepository(SessionEntity).update({ id: idle.id }, { lastActiveAt: new Date(Date.now() - 15 * 86_400_000) });
    await services.sweeper.sweep();
    const idleSet = await receiver.waitForSet((set) => (set.claims.sub_id as { session?: { id: string } }).session?.id === idle.id);
    const [expiringRow] = await services.dataSource.getRepository(SessionEntity).findBy({ id: expiring.id });
    await services.sweeper.sweep(new Date(expiringRow!.expiresAt.getTime() + 1000));
    const expiredSet = await receiver.waitForSet((set) => (set.claims.sub_id as { session?: { id: string } }).session?.id === expiring.id);
    expect(TestReceiver.sessionRevoked(idleSet)).toMatchObject({ initiating_entity: 'policy', reason_admin: { en: expect.stringMatching(/^IDLE_TIMEOUT:/) } });
    expect(TestReceiver.sessionRevoked(expiredSet)).toMatchObject({ initiating_entity: 'policy', reason_admin: { en: expect.stringMatching(/^EXPIRED:/) } });
    await call('DELETE', `/ssf/streams?stream_id=${id}`);
  });

  it('refuses push endpoints that are not http(s), carry credentials, or (unless allowed) are private', async () => {
    for (const endpoint_url of ['ftp://example.com/x', 'javascript:alert(1)', 'http://user:pw@example.com/x', 'not a url']) {
      const refused = await call('POST', '/ssf/streams', { delivery: { method: PUSH, endpoint_url } });
      expect([refused.status, refused.body.error]).toEqual([400, 'invalid_request']);
    }
  });
});

describe('SSF push endpoints without SSF_ALLOW_PRIVATE_RECEIVERS', () => {
  const cluster = clusterPerSuite({ backend: 'sqlite' });

  it('refuses loopback, private, link-local and metadata addresses', async () => {
    const client = await serviceClient(cluster.instances[0]!, [ServiceScope.SSF_MANAGE]);
    for (const endpoint_url of [
      'http://127.0.0.1:8080/events',
      'http://localhost/events',
      'http://10.1.2.3/',
      'http://169.254.169.254/latest',
      'http://[::1]/x',
      'http://[::ffff:127.0.0.1]/x',
    ]) {
      const refused = await ssfCall(cluster.instances[0]!, client.accessToken, 'POST', '/ssf/streams', { delivery: { method: PUSH, endpoint_url } });
      expect([endpoint_url, refused.status, refused.body.error_description]).toEqual([endpoint_url, 400, 'endpoint_url must be a public address']);
    }
  });

  it('checks the address a host name resolves to when connecting, so a name pointing at a private address gets nothing', async () => {
    const receiver = await TestReceiver.start(originOf(cluster.url));
    try {
      const viaName = `http://localhost:${receiver.port}/events`;
      await expect(postSet(viaName, 'x.y.z', { timeoutMs: 2000, allowPrivate: false })).rejects.toThrow('resolves to a private address');
      await expect(postSet(receiver.url, 'x.y.z', { timeoutMs: 2000, allowPrivate: false })).rejects.toThrow('private address');
      expect((await postSet(viaName, 'x.y.z', { timeoutMs: 2000, allowPrivate: true })).status).toBe(400);
    } finally {
      await receiver.close();
    }
  });
});
