import { performance } from 'node:perf_hooks';
import { LoginDocument, LogoutDocument, OnSessionTerminatedDocument, RegisterDocument, SessionsDocument } from '../generated/graphql';
import { PASSWORD, uniqueEmail } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql, graphqlErrors, LiveConnection, tryConnect } from '../support/client';
import { sql, startCluster, TEST_DATABASE_URL, TEST_REDIS_URL, type TestCluster } from '../support/cluster';
import { TcpProxy } from '../support/tcp-proxy';
import { createLogger } from '../../src/common/logger';
import { startServer, type RunningServer } from '../../src/server';
import { until } from '../support/deferred';

const target = (url: string, defaultPort: number) => ({ host: new URL(url).hostname, port: Number(new URL(url).port || defaultPort) });

/** Small bounds for the instance under test, so an outage shows within seconds. */
const BOUNDS = {
  databaseConnectTimeoutMs: 1000,
  databaseStatementTimeoutMs: 1000,
  readinessTimeoutMs: 500,
  sessionCacheLeaseMs: 400,
};
/** The longest a request may take with the database silent: a connection attempt or a statement plus the client's extra second, with room for a loaded machine. */
const OUTAGE_BOUND_MS = BOUNDS.databaseStatementTimeoutMs + 1000 + 3000;

async function timed<T>(work: Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work;
  return { result, ms: performance.now() - started };
}

async function probe(url: string, path: '/healthz' | '/readyz'): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL(path, url));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

// Instance A reaches the stores directly; instance B reaches Postgres and Redis through proxies the
// test black-holes (connections accepted, nothing ever answered), as if B lost them.
describe('an instance whose database or Redis accepts connections and never answers', () => {
  let cluster: TestCluster;
  let postgres: TcpProxy;
  let redis: TcpProxy;
  let b: RunningServer;
  let healthy: string;

  beforeAll(async () => {
    cluster = await startCluster();
    healthy = cluster.url;
    postgres = await TcpProxy.start(target(TEST_DATABASE_URL, 5432));
    redis = await TcpProxy.start(target(TEST_REDIS_URL, 6379));
    b = await startServer(
      { ...cluster.config, ...BOUNDS, databaseUrl: postgres.urlFor(TEST_DATABASE_URL), redisUrl: redis.urlFor(TEST_REDIS_URL) },
      createLogger(cluster.config.logLevel),
    );
  });
  afterEach(() => {
    postgres.restore();
    redis.restore();
  });
  afterAll(async () => {
    await b?.dispose();
    await postgres?.close();
    await redis?.close();
    await cluster?.dispose();
  });

  async function signedIn(): Promise<string> {
    const email = uniqueEmail();
    dataOf(await graphql(healthy, RegisterDocument, { input: { email, password: PASSWORD } }));
    return dataOf(await graphql(healthy, LoginDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.firefoxOnMac })).login.token;
  }
  const listSessions = (token: string) => graphql(b.url, SessionsDocument, {}, { token, device: DEVICES.firefoxOnMac });
  // Until then B answers the token and the list from memory (ADR 0004, 0009): nothing can end a session without the database.
  const leaseRunsOut = () => until(() => !b.services.sessionCache.trusted(), "B's cache lease running out", 5000, 50);

  it('answers SERVICE_UNAVAILABLE within the bound, stays live but not ready, closes new sockets with 1013, and recovers when the database answers again', async () => {
    const token = await signedIn();
    dataOf(await listSessions(token)); // B has checked this token and holds it in its cache

    postgres.stall();
    await leaseRunsOut();
    const { result, ms } = await timed(listSessions(token));
    expect(errorCodes(result)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(result.data ?? null).toBeNull();
    expect(ms).toBeLessThan(OUTAGE_BOUND_MS);
    // A sign-in needs the database too, and says so with the same code.
    const signIn = await timed(graphql(b.url, LoginDocument, { input: { email: uniqueEmail(), password: PASSWORD } }));
    expect(errorCodes(signIn.result)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(signIn.ms).toBeLessThan(OUTAGE_BOUND_MS);

    expect(await probe(b.url, '/healthz')).toEqual({ status: 200, body: { ok: true } });
    const { result: ready, ms: readyMs } = await timed(probe(b.url, '/readyz'));
    expect(ready).toEqual({ status: 503, body: { ready: false, database: 'down', redis: 'up', migrations: 'unknown', down: ['database'] } });
    expect(readyMs).toBeLessThan(BOUNDS.readinessTimeoutMs + 3000);

    const socket = await timed(tryConnect(b.url, `Bearer ${token}`));
    expect(socket.result).toEqual({ code: 1013, reason: 'Try again later' });
    expect(socket.ms).toBeLessThan(OUTAGE_BOUND_MS);

    postgres.restore();
    dataOf(await listSessions(token));
    expect(await probe(b.url, '/readyz')).toEqual({ status: 200, body: { ready: true, database: 'up', redis: 'up', migrations: 'applied', down: [] } });
    expect(await tryConnect(b.url, `Bearer ${token}`)).toBe('acknowledged');
  });

  it('never accepts a token it cannot check: once its lease has run out, a remembered token answers 503 SERVICE_UNAVAILABLE, not data', async () => {
    const token = await signedIn();
    dataOf(await listSessions(token));
    const open = await LiveConnection.open(b.url, token, DEVICES.firefoxOnMac);
    // Without the database, B cannot renew its lease (its renewal reads the endings log first).
    postgres.stall();
    await leaseRunsOut();
    // Redis silent too: B cannot hear an ending either, so nothing but the database could vouch for the token.
    redis.stall();

    const me = await graphql(b.url, '{ me { id } }', {}, { token, device: DEVICES.firefoxOnMac });
    expect(me).toEqual({ status: 503, errors: [expect.objectContaining({ extensions: { code: 'SERVICE_UNAVAILABLE' } })] });
    expect(await tryConnect(b.url, `Bearer ${token}`)).toEqual({ code: 1013, reason: 'Try again later' });
    // An open socket's next operation re-checks the token: it cannot, so the socket is told to come back later.
    const queue = open.subscribe(OnSessionTerminatedDocument);
    expect(await open.waitForClose(OUTAGE_BOUND_MS)).toEqual({ code: 1013, reason: 'Try again later' });
    expect(graphqlErrors(queue.errors)).toEqual([]);
    await open.dispose();
  });

  it('refuses, once the database is back, a token whose session was ended elsewhere during the outage', async () => {
    const token = await signedIn();
    dataOf(await listSessions(token));
    postgres.stall();
    dataOf(await graphql(healthy, LogoutDocument, {}, { token, device: DEVICES.firefoxOnMac }));
    expect((await listSessions(token)).data ?? null).toBeNull();

    postgres.restore();
    // On a loaded machine B may answer 503 a moment longer, while its pool replaces the stalled
    // connections; it must never answer with data, and once it answers it refuses.
    let codes: unknown[] = [];
    await until(
      async () => {
        const response = await listSessions(token);
        expect(response.data ?? null).toBeNull();
        codes = errorCodes(response);
        return codes[0] !== 'SERVICE_UNAVAILABLE';
      },
      'B to answer again after the outage',
      OUTAGE_BOUND_MS,
      50,
    );
    expect(codes).toEqual(['UNAUTHENTICATED']);
    expect(await tryConnect(b.url, `Bearer ${token}`)).toEqual({ code: 4401, reason: 'Unauthorized' });
  });

  it('drops connections that went silent, so a database restarted behind a black hole serves every request again', async () => {
    const token = await signedIn();
    dataOf(await listSessions(token));
    postgres.stall();
    await leaseRunsOut();
    expect(errorCodes(await listSessions(token))).toEqual(['SERVICE_UNAVAILABLE']);

    // The old connections stay open and silent forever; only new ones reach the database. Each
    // silent connection costs at most one request (dropped after its statement bound), then every request works.
    postgres.abandonStalled();
    const twentyInARow = async () => {
      for (let i = 0; i < 20; i++) if (errorCodes(await listSessions(token)).length > 0) return false;
      return true;
    };
    await until(twentyInARow, 'twenty requests in a row answering', 30_000, 50);
    expect((await probe(b.url, '/readyz')).status).toBe(200);
  }, 60_000);

  it('is not ready, naming migrations, while the database lacks a migration this code expects', async () => {
    const [latest] = await sql<{ id: number; timestamp: string; name: string }>(
      cluster,
      'DELETE FROM migrations WHERE id = (SELECT max(id) FROM migrations) RETURNING id, timestamp, name',
    );
    try {
      expect(await probe(healthy, '/readyz')).toEqual({ status: 503, body: { ready: false, database: 'up', redis: 'up', migrations: 'pending', down: ['migrations'] } });
    } finally {
      await sql(cluster, 'INSERT INTO migrations (id, timestamp, name) VALUES ($1, $2, $3)', [latest!.id, latest!.timestamp, latest!.name]);
    }
    expect((await probe(healthy, '/readyz')).status).toBe(200);
  });

  it('stays live but not ready, naming Redis, while Redis never answers; the database still serves', async () => {
    const token = await signedIn();
    redis.stall();
    expect(await probe(b.url, '/healthz')).toEqual({ status: 200, body: { ok: true } });
    const { result: ready, ms } = await timed(probe(b.url, '/readyz'));
    expect(ready).toEqual({ status: 503, body: { ready: false, database: 'up', redis: 'down', migrations: 'applied', down: ['redis'] } });
    expect(ms).toBeLessThan(BOUNDS.readinessTimeoutMs + 3000);
    dataOf(await listSessions(token));

    redis.restore();
    await until(async () => (await probe(b.url, '/readyz')).status === 200, 'B becoming ready again', 10_000, 50);
  });
});
