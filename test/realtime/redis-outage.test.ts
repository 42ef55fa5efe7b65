import { performance } from 'node:perf_hooks';
import { AuditLogDocument, LoginDocument, RegisterDocument, SessionsDocument } from '../generated/graphql';
import { PASSWORD, uniqueEmail } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql } from '../support/client';
import { startCluster, TEST_REDIS_URL, type TestCluster } from '../support/cluster';
import { TcpProxy } from '../support/tcp-proxy';
import { createLogger } from '../../src/common/logger';
import { connectRedis } from '../../src/realtime/redis-connections';
import { startServer, type RunningServer } from '../../src/server';

const redisTarget = { host: new URL(TEST_REDIS_URL).hostname, port: Number(new URL(TEST_REDIS_URL).port || 6379) };

async function timed<T>(work: Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work;
  return { result, ms: performance.now() - started };
}

/**
 * The bound for a request while Redis is away: what the same request costs on this machine right
 * now with Redis up (argon2 and a loaded CI box dominate it), plus one second.
 */
async function healthyPlusOneSecond(sameRequestWithRedisUp: () => Promise<unknown>): Promise<number> {
  return (await timed(sameRequestWithRedisUp())).ms + 1000;
}

// Instance A reaches Redis directly; instance B through a proxy the test cuts, as if B lost Redis.
describe('an instance that lost Redis', () => {
  let cluster: TestCluster;
  let proxy: TcpProxy;
  let b: RunningServer;
  let healthy: string;

  beforeAll(async () => {
    cluster = await startCluster();
    healthy = cluster.url;
    proxy = await TcpProxy.start(redisTarget);
    b = await startServer({ ...cluster.config, redisUrl: proxy.urlFor(TEST_REDIS_URL) }, createLogger(cluster.config.logLevel));
  });
  afterEach(() => proxy.restore());
  afterAll(async () => {
    await b?.dispose();
    await proxy?.close();
    await cluster?.dispose();
  });

  it('signs a person in within a second of the usual time, with a token that works, the session listed and the sign-in audited', async () => {
    const email = uniqueEmail();
    dataOf(await graphql(healthy, RegisterDocument, { input: { email, password: PASSWORD } }));
    const signIn = () => graphql(b.url, LoginDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.safariOnIphone });
    const bound = await healthyPlusOneSecond(signIn);
    proxy.cut();

    const { result, ms } = await timed(signIn());
    expect(ms).toBeLessThan(bound);
    const { token, session } = dataOf(result).login;

    const listed = dataOf(await graphql(healthy, SessionsDocument, {}, { token, device: DEVICES.safariOnIphone })).sessions;
    expect(listed.find((s) => s.current)?.id).toBe(session.id);
    const audit = dataOf(await graphql(healthy, AuditLogDocument, { first: 10 }, { token, device: DEVICES.safariOnIphone })).auditLog;
    expect(audit.edges.map((edge) => edge.node)).toContainEqual(expect.objectContaining({ type: 'LOGIN', targetSessionIds: [session.id] }));
  });

  it('registers a new account within a second of the usual time, leaving no account behind an error', async () => {
    const register = (email: string) => graphql(b.url, RegisterDocument, { input: { email, password: PASSWORD } });
    const bound = await healthyPlusOneSecond(() => register(uniqueEmail()));
    proxy.cut();
    const email = uniqueEmail();
    const { result, ms } = await timed(register(email));
    expect(ms).toBeLessThan(bound);
    expect(dataOf(result).register.user.email).toBe(email);
  });

  it('refuses a wrong password within a second of the usual time, and still counts it towards the limit', async () => {
    const email = uniqueEmail();
    dataOf(await graphql(healthy, RegisterDocument, { input: { email, password: PASSWORD } }));
    const wrong = () => graphql(b.url, LoginDocument, { input: { email, password: 'not the password at all' } }, { device: DEVICES.chromeOnPixel });
    const bound = await healthyPlusOneSecond(wrong);
    proxy.cut();
    const { result, ms } = await timed(wrong());
    expect(ms).toBeLessThan(bound);
    expect(errorCodes(result)).toEqual(['INVALID_CREDENTIALS']);
    // The per-instance fallback keeps counting while Redis is away.
    for (let i = 1; i < 10; i++) await wrong();
    expect(errorCodes(await wrong())).toEqual(['RATE_LIMITED']);
  });

  it('answers within a second of the usual time when Redis accepts connections but never answers', async () => {
    const email = uniqueEmail();
    dataOf(await graphql(healthy, RegisterDocument, { input: { email, password: PASSWORD } }));
    const signIn = () => graphql(b.url, LoginDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.firefoxOnMac });
    const bound = await healthyPlusOneSecond(signIn);
    proxy.stall();
    const { result, ms } = await timed(signIn());
    expect(ms).toBeLessThan(bound);
    expect(dataOf(result).login.token).toMatch(/^so_/);
  });
});

describe('starting with a Redis that cannot be reached', () => {
  const quick = { connectMs: 300, commandMs: 300, startupMs: 1500 };
  const silent = createLogger('silent');

  it('gives up within the start-up bound, naming Redis, when nothing listens on its port', async () => {
    const dead = await TcpProxy.start(redisTarget);
    const url = dead.urlFor(TEST_REDIS_URL);
    await dead.close();
    const { result, ms } = await timed(
      connectRedis(url, silent, quick).then(
        () => 'connected',
        (err: Error) => err.message,
      ),
    );
    expect(result).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:\d+\/? did not answer within 1500 ms/);
    expect(ms).toBeLessThan(3000);
  });

  it('gives up within the start-up bound when Redis accepts connections but never answers', async () => {
    const blackhole = await TcpProxy.start(redisTarget);
    blackhole.stall();
    try {
      const { result, ms } = await timed(
        connectRedis(blackhole.urlFor(TEST_REDIS_URL), silent, quick).then(
          () => 'connected',
          (err: Error) => err.message,
        ),
      );
      expect(result).toMatch(/did not answer within 1500 ms/);
      expect(ms).toBeLessThan(3000);
    } finally {
      await blackhole.close();
    }
  });
});
