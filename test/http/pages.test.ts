import { get } from 'node:http';
import { LoginDocument, ReportUnrecognizedSessionDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD } from '../support/accounts';
import { dataOf, DEVICES, graphql } from '../support/client';
import { linkParam, startSecurityCluster, type SecurityCluster } from '../support/security-cluster';

function fetchPage(url: string, accept = 'text/html', extra: Record<string, string> = {}): Promise<{ status: number; type: string; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { accept, ...extra } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    }).on('error', reject);
  });
}

describe('pages a browser opens', () => {
  let env: SecurityCluster;

  beforeAll(async () => {
    env = await startSecurityCluster();
  });
  afterAll(() => env.dispose());

  it('GET /graphql from a browser opens GraphiQL, served entirely from this server', async () => {
    const page = await fetchPage(env.url);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/text\/html/);
    const sources = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources.length).toBeGreaterThanOrEqual(4);
    for (const source of sources) {
      expect(source).toMatch(/^\/explorer\//);
      const asset = await fetchPage(new URL(source!, env.url).toString(), '*/*');
      expect(asset.status).toBe(200);
      expect(asset.body.length).toBeGreaterThan(1000);
    }
  });

  it('opening the "this wasn\'t me" link changes nothing until the person presses the button', async () => {
    const { email } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows]);
    dataOf(await graphql(env.url, LoginDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.firefoxOnMac }));
    const alert = await env.smtp.next((m) => m.to === email && m.text.includes('Firefox on macOS'));
    const token = linkParam(alert, '/report-sign-in', 'token');

    // A mail scanner following the link gets the page, uncached, and the token stays unspent.
    const page = await fetchPage(new URL(`/report-sign-in?token=${token}`, env.url).toString());
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('Sign that device out');
    expect(dataOf(await graphql(env.url, ReportUnrecognizedSessionDocument, { token })).reportUnrecognizedSession).toMatch(/^sor_/);
  });

  it('the reset page is served without caching', async () => {
    const page = await fetchPage(new URL('/reset-password?token=sor_x', env.url).toString());
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('Choose a new password');
  });

  it('/healthz reports the database and Redis as up', async () => {
    const health = await fetchPage(new URL('/healthz', env.url).toString(), 'application/json');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ ok: true, database: 'up', pubsub: 'up' });
  });

  it('API clients asking GET /graphql for JSON still reach GraphQL (with the CSRF-safe header)', async () => {
    const response = await fetchPage(`${env.url}?query=${encodeURIComponent('{ __typename }')}`, 'application/json', { 'apollo-require-preflight': 'true' });
    expect(JSON.parse(response.body)).toEqual({ data: { __typename: 'Query' } });
  });
});
