import { LogoutDocument, SessionsDocument } from '../generated/graphql';
import { accountWithDevices } from '../support/accounts';
import { dataOf, errorCodes, graphql } from '../support/client';
import { sql, startCluster, type TestCluster } from '../support/cluster';
import { originOf, serviceClient, ssfCall } from '../support/ssf';
import { ServiceScope } from '../../src/service-clients/service-client.entity';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('service clients: client credentials and token introspection (RFC 6749 4.4, RFC 7662)', () => {
  let cluster: TestCluster;
  let origin: string;

  beforeAll(async () => {
    // Two instances: introspection on B must refuse a session ended on A the moment A's mutation returned.
    // Activity written on every request, so an introspection that counted as activity would show.
    cluster = await startCluster({ count: 2, env: { ACTIVITY_WRITE_INTERVAL_SECONDS: '0' } });
    origin = originOf(cluster.url);
  });
  afterAll(() => cluster.dispose());

  const token = (body: string, authorization?: string) =>
    fetch(`${origin}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
      body,
    });
  const introspect = (instance: number, accessToken: string, sessionToken: string) =>
    fetch(`${originOf(cluster.instances[instance]!.url)}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${accessToken}` },
      body: form({ token: sessionToken }),
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }));

  it('issues a short-lived sc_ token for valid credentials and refuses bad ones, unknown grants and scopes the client lacks', async () => {
    const { clientId, clientSecret } = await cluster.instances[0]!.services.serviceApi.clients.create({ name: 'gateway', scopes: [ServiceScope.INTROSPECT] });

    const ok = await token(form({ grant_type: 'client_credentials' }), basic(clientId, clientSecret));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const issued = (await ok.json()) as Record<string, unknown>;
    expect(issued).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'introspect' });
    expect(issued.access_token).toMatch(/^sc_[A-Za-z0-9_-]{43}$/);

    const posted = await token(form({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }));
    expect(posted.status).toBe(200);

    const wrongSecret = await token(form({ grant_type: 'client_credentials' }), basic(clientId, `${clientSecret}x`));
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toEqual({ error: 'invalid_client' });
    expect((await token(form({ grant_type: 'client_credentials' }), basic('nobody', clientSecret))).status).toBe(401);
    expect(await (await token(form({ grant_type: 'password' }), basic(clientId, clientSecret))).json()).toEqual({ error: 'unsupported_grant_type' });
    const tooMuch = await token(form({ grant_type: 'client_credentials', scope: 'introspect admin' }), basic(clientId, clientSecret));
    expect([tooMuch.status, await tooMuch.json()]).toEqual([400, { error: 'invalid_scope' }]);

    // The secret is stored only as its hash.
    const [row] = await sql<{ secret_hash: string }>(cluster, 'SELECT secret_hash FROM service_clients WHERE client_id = $1', [clientId]);
    expect(row!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.secret_hash).not.toContain(clientSecret);
  });

  it('answers active with sub, sid, exp, iat and client_id, without counting as activity, and active:false the moment a logout on another instance returned', async () => {
    const gateway = await serviceClient(cluster.instances[0]!, [ServiceScope.INTROSPECT]);
    const { signIns } = await accountWithDevices(cluster.url);
    const device = signIns[1]!;
    const [before] = await sql<{ last_active_at: Date; user_id: string }>(cluster, 'SELECT last_active_at, user_id FROM sessions WHERE id = $1', [device.session.id]);

    const live = await introspect(1, gateway.accessToken, device.token);
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ active: true, sub: before!.user_id, sid: device.session.id, client_id: 'signoff', token_type: 'Bearer' });
    expect(live.body.exp).toBe(Math.floor(Date.parse(device.session.expiresAt) / 1000));
    expect(live.body.iat).toBe(Math.floor(Date.parse(device.session.createdAt) / 1000));
    const [after] = await sql<{ last_active_at: Date }>(cluster, 'SELECT last_active_at FROM sessions WHERE id = $1', [device.session.id]);
    expect(after!.last_active_at.getTime()).toBe(before!.last_active_at.getTime());

    // B has the session in its leased cache now; the logout on A must still be seen on B at once.
    dataOf(await graphql(cluster.url, LogoutDocument, {}, { token: device.token, device: device.device }));
    expect((await introspect(1, gateway.accessToken, device.token)).body).toEqual({ active: false });
    expect((await introspect(0, gateway.accessToken, 'so_not-a-token')).body).toEqual({ active: false });
  });

  it('refuses introspection to clients without the introspect scope and to session tokens', async () => {
    const admin = await serviceClient(cluster.instances[0]!, [ServiceScope.ADMIN]);
    const { signIns } = await accountWithDevices(cluster.url, undefined);
    const forbidden = await introspect(0, admin.accessToken, signIns[0]!.token);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toEqual({ error: 'insufficient_scope', scope: 'introspect' });
    const asSession = await introspect(0, signIns[0]!.token, signIns[0]!.token);
    expect(asSession.status).toBe(401);
  });

  it('keeps the two kinds of token apart: a service token is no session, a session token opens no service endpoint', async () => {
    const client = await serviceClient(cluster.instances[0]!, [ServiceScope.ADMIN, ServiceScope.SSF_READ]);
    const { signIns } = await accountWithDevices(cluster.url);
    expect(errorCodes(await graphql(cluster.url, SessionsDocument, {}, { token: client.accessToken }))).toEqual(['UNAUTHENTICATED']);
    expect((await ssfCall(cluster.instances[0]!, signIns[0]!.token, 'GET', '/ssf/streams')).status).toBe(401);
    expect((await ssfCall(cluster.instances[0]!, client.accessToken, 'GET', '/ssf/streams')).status).toBe(200);
  });

  it("stops honouring a disabled client's tokens and credentials at once", async () => {
    const client = await serviceClient(cluster.instances[0]!, [ServiceScope.SSF_READ]);
    await cluster.instances[0]!.services.serviceApi.clients.disable(client.clientId);
    expect((await ssfCall(cluster.instances[1]!, client.accessToken, 'GET', '/ssf/streams')).status).toBe(401);
    expect((await token(form({ grant_type: 'client_credentials' }), basic(client.clientId, client.clientSecret))).status).toBe(401);
  });
});
