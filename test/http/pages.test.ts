import { createHash } from 'node:crypto';
import { get } from 'node:http';
import { runInNewContext } from 'node:vm';
import { LoginDocument, ReportUnrecognizedSessionDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD } from '../support/accounts';
import { dataOf, DEVICES, graphql } from '../support/client';
import { linkParam, clusterPerSuite } from '../support/cluster';

function fetchPage(
  url: string,
  accept = 'text/html',
  extra: Record<string, string> = {},
): Promise<{ status: number; type: string; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { accept, ...extra } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    }).on('error', reject);
  });
}

/** Parses a Content-Security-Policy header into directive -> sources. */
function directives(header: unknown): Map<string, string[]> {
  expect(typeof header).toBe('string');
  return new Map(
    String(header)
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

const inlineBlocks = (html: string, tag: 'script' | 'style') => [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) => match[1]!);
const hashOf = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** What a browser page must carry: a CSP under which only its own code runs, nosniff, no Referer, no framing. */
function expectHardenedPage(page: { headers: Record<string, unknown>; body: string }, ownFiles: boolean): void {
  expect(page.headers['x-content-type-options']).toBe('nosniff');
  expect(page.headers['referrer-policy']).toBe('no-referrer');
  const csp = directives(page.headers['content-security-policy']);
  expect(csp.get('default-src')).toEqual(["'none'"]);
  expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  expect(csp.get('base-uri')).toEqual(["'none'"]);
  expect(csp.get('connect-src')).toEqual(["'self'"]);
  for (const tag of ['script', 'style'] as const) {
    const allowed = csp.get(`${tag}-src`) ?? [];
    const blocks = inlineBlocks(page.body, tag);
    expect(blocks.length).toBeGreaterThan(0);
    // Exactly the page's own inline blocks, by hash; never 'unsafe-inline', 'unsafe-eval' or another host.
    expect(allowed.sort()).toEqual([...(ownFiles ? ["'self'"] : []), ...blocks.map(hashOf)].sort());
  }
}

describe('pages a browser opens', () => {
  const env = clusterPerSuite({ smtp: true });

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

  it('GraphiQL runs only its own files and hashed inline code, cannot be framed, and sends no Referer', async () => {
    const page = await fetchPage(env.url);
    expectHardenedPage(page, true);
  });

  it('the email pages run only their hashed inline code, cannot be framed, post no forms and send no Referer', async () => {
    for (const path of ['/report-sign-in?token=sou_x', '/reset-password?token=sor_x']) {
      const page = await fetchPage(new URL(path, env.url).toString());
      expectHardenedPage(page, false);
      expect(directives(page.headers['content-security-policy']).get('form-action')).toEqual(["'none'"]);
    }
  });

  it('GraphiQL keeps tabs and headers (the bearer token) out of localStorage', async () => {
    const page = await fetchPage(env.url);
    const start = inlineBlocks(page.body, 'script').at(-1)!;
    // Run the page's start script against stand-ins for the browser and GraphiQL, and keep GraphiQL's props.
    const localStorage = { setItem: jest.fn(), getItem: jest.fn(() => null), removeItem: jest.fn(), clear: jest.fn(), length: 0 };
    let props: { shouldPersistHeaders?: unknown; storage?: { getItem(key: string): string | null; setItem(key: string, value: string): void } } = {};
    runInNewContext(start, {
      location: { href: env.url },
      URL,
      localStorage,
      document: { getElementById: () => ({}) },
      GraphiQL: { createFetcher: () => () => undefined },
      React: { createElement: (_component: unknown, given: Record<string, unknown>) => (props = given as typeof props) },
      ReactDOM: { createRoot: () => ({ render: () => undefined }) },
    });
    expect(props.shouldPersistHeaders).toBe(false);
    expect(props.storage).toBeDefined();
    expect(props.storage).not.toBe(localStorage);
    props.storage!.setItem('graphiql:tabState', '{"headers":"{\\"Authorization\\":\\"Bearer so_x\\"}"}');
    expect(props.storage!.getItem('graphiql:tabState')).toContain('Bearer so_x');
    expect(localStorage.setItem).not.toHaveBeenCalled();
  });

  it('API answers carry nosniff and a policy that allows nothing', async () => {
    const response = await fetchPage(`${env.url}?query=${encodeURIComponent('{ __typename }')}`, 'application/json', { 'apollo-require-preflight': 'true' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(directives(response.headers['content-security-policy']).get('default-src')).toEqual(["'none'"]);
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

  it('/healthz answers that the process lives, and /readyz reports the database, Redis and migrations as ready', async () => {
    const health = await fetchPage(new URL('/healthz', env.url).toString(), 'application/json');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ ok: true });
    const ready = await fetchPage(new URL('/readyz', env.url).toString(), 'application/json');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ ready: true, database: 'up', redis: 'up', migrations: 'applied', down: [] });
  });

  it('API clients asking GET /graphql for JSON still reach GraphQL (with the CSRF-safe header)', async () => {
    const response = await fetchPage(`${env.url}?query=${encodeURIComponent('{ __typename }')}`, 'application/json', { 'apollo-require-preflight': 'true' });
    expect(JSON.parse(response.body)).toEqual({ data: { __typename: 'Query' } });
  });
});
