import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { accountWithDevices } from '../support/accounts';
import { DEVICES, graphql, LiveConnection } from '../support/client';
import { deferred, within, until } from '../support/deferred';
import { throwawayStores } from '../support/postgres-schema';
import { spawnService, type ServiceProcess } from '../support/process';

jest.setTimeout(120_000);

const stores = throwawayStores();
// The processes share one database, so one key, as production instances must (SSF signing key, TOTP secrets).
const SECRET_KEY = randomBytes(32).toString('base64');
const running: ServiceProcess[] = [];

async function startService(env: Record<string, string> = {}): Promise<{ service: ServiceProcess; url: string }> {
  const service = spawnService({
    ...stores.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    SECRET_KEY,
    EXPIRY_SWEEP_SECONDS: '3600',
    OUTBOX_DIR: join(mkdtempSync(join(tmpdir(), 'signoff-shutdown-')), 'outbox'),
    ...env,
  });
  running.push(service);
  return { service, url: await within(service.serving, 90_000, 'the service to start') };
}

/** Holds the tables a `me` query reads, so a request can be kept in flight for as long as the test needs. */
async function lockAccountTables(): Promise<{ pg: Client; release(): Promise<void> }> {
  const pg = await stores.client();
  await pg.query('BEGIN');
  await pg.query('LOCK TABLE users, sessions IN ACCESS EXCLUSIVE MODE');
  return { pg, release: async () => void (await pg.query('COMMIT'), await pg.end()) };
}

/** Whether a query waits on the lock: Postgres announces no such thing, so tests poll it with `until`. */
async function someoneWaitsOnTheLock(pg: Client): Promise<boolean> {
  const { rows } = await pg.query(
    `SELECT count(*)::int AS waiting FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT l.granted AND n.nspname = $1`,
    [stores.schema],
  );
  return rows[0].waiting > 0;
}

/** Sends a request and resolves once it is held in flight by the lock (with its eventual answer). */
async function requestInFlight(url: string, token: string, pg: Client) {
  const answer = graphql<{ me: { id: string } }, undefined>(url, '{ me { id } }', undefined, { token });
  answer.catch(() => undefined); // cut short on purpose in some tests
  await until(() => someoneWaitsOnTheLock(pg), 'the request to reach the database', 10_000);
  return { answer };
}

afterAll(async () => {
  for (const service of running) if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
  await stores.drop();
});

describe('the real process on SIGTERM', () => {
  it('closes WebSockets with 1001 and idle keep-alive connections, finishes the in-flight request, then exits 0', async () => {
    const { service, url } = await startService();
    const { signIns } = await accountWithDevices(url, [DEVICES.chromeOnWindows], { verified: false });
    const token = signIns[0]!.token;
    const sockets = await Promise.all([LiveConnection.open(url, token), LiveConnection.open(url, token)]);

    // One keep-alive connection, idle between requests, as a load balancer holds it.
    const agent = new Agent({ keepAlive: true });
    const idleClosed = deferred<void>();
    await new Promise<void>((resolve, reject) => {
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.socket.once('close', () => idleClosed.resolve());
        res.resume().on('end', resolve);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ query: '{ __typename }' }));
    });

    const lock = await lockAccountTables();
    const { answer: inFlight } = await requestInFlight(url, token, lock.pg);
    service.child.kill('SIGTERM');

    const closes = await Promise.all(sockets.map((socket) => socket.waitForClose(10_000)));
    expect(closes.map((close) => close.code)).toEqual([1001, 1001]);
    await within(idleClosed.promise, 10_000, 'the idle keep-alive connection to close');
    expect(service.child.exitCode).toBeNull(); // still waiting for the request in flight

    await lock.release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.data?.me.id).toEqual(expect.any(String));
    expect(await within(service.exited, 10_000, 'the process to exit')).toEqual({ code: 0, signal: null });
    agent.destroy();
  });

  it('exits at once on a second signal while a request is still in flight', async () => {
    const { service, url } = await startService();
    const token = (await accountWithDevices(url, [DEVICES.chromeOnWindows], { verified: false })).signIns[0]!.token;
    const lock = await lockAccountTables();
    try {
      await requestInFlight(url, token, lock.pg);
      service.child.kill('SIGTERM');
      await within(service.printed('shutting down'), 10_000, 'the first signal to be handled');
      service.child.kill('SIGINT');
      expect(await within(service.exited, 5_000, 'the process to exit')).toEqual({ code: 1, signal: null });
    } finally {
      await lock.release();
    }
  });

  it('cuts a request that never finishes when SHUTDOWN_TIMEOUT_SECONDS runs out, and still exits cleanly', async () => {
    // 4 s: three quarters for the request, one second to close the pools and workers even on a loaded machine.
    const { service, url } = await startService({ SHUTDOWN_TIMEOUT_SECONDS: '4' });
    const token = (await accountWithDevices(url, [DEVICES.chromeOnWindows], { verified: false })).signIns[0]!.token;
    const lock = await lockAccountTables();
    try {
      const { answer } = await requestInFlight(url, token, lock.pg);
      service.child.kill('SIGTERM');
      // The lock is held throughout: only the timeout can end this request. On a failure the log names the slow stop step.
      const exit = await within(service.exited, 10_000, 'the process to exit');
      expect({ ...exit, log: exit.code === 0 ? '' : service.stdout() + service.stderr() }).toEqual({ code: 0, signal: null, log: '' });
      await expect(answer).rejects.toThrow();
    } finally {
      await lock.release();
    }
  });
});
