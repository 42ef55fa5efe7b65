import { request } from 'node:http';
import { LoginDocument, LogoutDocument, OnSessionTerminatedDocument, RegisterDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD, uniqueEmail } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql, type TestDevice } from '../support/client';
import { clusterPerSuite } from '../support/cluster';

function scrape(url: string, authorization?: string): Promise<{ status: number; contentType: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL('/metrics', url), { headers: authorization ? { authorization } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The sample of `name` whose labels include all of `labels` (0 when there is none yet). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => present.split(',').includes(`${key}="${value}"`))) return Number(match[3]);
  }
  return 0;
}

const REGISTER_LIMIT = 3;
const LIMITED: TestDevice = { ip: '127.0.0.41', userAgent: DEVICES.firefoxOnMac.userAgent };

describe('GET /metrics: counters move when things happen, and name no one', () => {
  const suite = clusterPerSuite({ env: { REGISTER_LIMIT_PER_IP_PER_HOUR: String(REGISTER_LIMIT) } });

  it('serves the Prometheus text format, open when METRICS_TOKEN is unset', async () => {
    const scraped = await scrape(suite.url);
    expect(scraped.status).toBe(200);
    expect(scraped.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(scraped.text).toContain('# TYPE signoff_graphql_operations_total counter');
    expect(scraped.text).toContain('# TYPE signoff_revocation_to_close_seconds histogram');
    expect(sample(scraped.text, 'signoff_websocket_sockets_open')).toBe(0);
  });

  it('counts operations by root field and outcome, sockets, endings by reason, revocation-to-close latency, rate-limit rejections', async () => {
    const before = (await scrape(suite.url)).text;
    const { email, signIns } = await accountWithDevices(suite.url, [DEVICES.chromeOnWindows, DEVICES.safariOnIphone]);
    const [, phone] = signIns as [unknown, (typeof signIns)[number]];
    expect(errorCodes(await graphql(suite.url, LoginDocument, { input: { email, password: 'not the password at all' } }))).toEqual(['INVALID_CREDENTIALS']);

    // The phone listens, then signs itself out: it hears sessionTerminated, then its socket closes.
    const socket = await suite.connect(phone.token, DEVICES.safariOnIphone);
    const terminated = socket.subscribe(OnSessionTerminatedDocument);
    await suite.waitForSubscribers(1);
    expect(sample((await scrape(suite.url)).text, 'signoff_websocket_sockets_open')).toBe(1);
    dataOf(await graphql(suite.url, LogoutDocument, {}, { token: phone.token, device: DEVICES.safariOnIphone }));
    expect((await terminated.next()).sessionTerminated.reason).toBe('LOGOUT');
    expect((await socket.waitForClose()).code).toBe(4401);

    // One address registering past its hourly limit.
    const refusals = [];
    for (let i = 0; i <= REGISTER_LIMIT; i++) {
      refusals.push(errorCodes(await graphql(suite.url, RegisterDocument, { input: { email: uniqueEmail('limited'), password: PASSWORD } }, { device: LIMITED })));
    }
    expect(refusals.at(-1)).toEqual(['RATE_LIMITED']);

    const after = await scrape(suite.url);
    const moved = (name: string, labels: Record<string, string> = {}) => sample(after.text, name, labels) - sample(before, name, labels);
    const operations = 'signoff_graphql_operations_total';
    expect(moved(operations, { transport: 'http', type: 'mutation', operation: 'register', outcome: 'OK' })).toBe(1 + REGISTER_LIMIT);
    expect(moved(operations, { transport: 'http', type: 'mutation', operation: 'register', outcome: 'RATE_LIMITED' })).toBe(1);
    expect(moved(operations, { transport: 'http', type: 'mutation', operation: 'login', outcome: 'OK' })).toBe(1);
    expect(moved(operations, { transport: 'http', type: 'mutation', operation: 'login', outcome: 'INVALID_CREDENTIALS' })).toBe(1);
    expect(moved(operations, { transport: 'http', type: 'mutation', operation: 'logout', outcome: 'OK' })).toBe(1);
    expect(moved(operations, { transport: 'ws', type: 'subscription', operation: 'sessionTerminated', outcome: 'OK' })).toBe(1);
    expect(moved('signoff_sessions_ended_total', { reason: 'LOGOUT' })).toBe(1);
    expect(moved('signoff_revocation_to_close_seconds_count')).toBe(1);
    expect(moved('signoff_revocation_to_close_seconds_sum')).toBeGreaterThan(0);
    expect(moved('signoff_rate_limit_rejections_total', { limiter: 'register-ip' })).toBe(1);
    expect(sample(after.text, 'signoff_websocket_sockets_open')).toBe(0);

    // Nothing personal: no address, IP, id or token in any label or value.
    for (const secret of [email, phone.token, phone.session.id, phone.user.id, DEVICES.safariOnIphone.ip, LIMITED.ip, 'example.com']) {
      expect(after.text).not.toContain(secret);
    }
  });

  it('an operation that does not parse is counted once as (invalid), whatever its text', async () => {
    const before = (await scrape(suite.url)).text;
    await graphql(suite.url, '{ sessions(', {});
    await graphql(suite.url, '{ nosuchfield_a1b2c3 }', {});
    const after = (await scrape(suite.url)).text;
    const labels = { transport: 'http', operation: '(invalid)', outcome: 'BAD_USER_INPUT' };
    expect(sample(after, 'signoff_graphql_operations_total', labels) - sample(before, 'signoff_graphql_operations_total', labels)).toBe(2);
    expect(after).not.toContain('nosuchfield_a1b2c3');
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const token = 'metrics-token-0123456789abcdef';
  const suite = clusterPerSuite({ backend: 'sqlite', env: { METRICS_TOKEN: token } });

  it('answers 401 without the bearer token or with another, 200 with it', async () => {
    expect((await scrape(suite.url)).status).toBe(401);
    expect((await scrape(suite.url, `Bearer ${token}x`)).status).toBe(401);
    expect((await scrape(suite.url, token)).status).toBe(401);
    const scraped = await scrape(suite.url, `Bearer ${token}`);
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('signoff_websocket_sockets_open 0');
  });
});
