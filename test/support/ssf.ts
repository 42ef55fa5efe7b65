import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { ServiceScope } from '../../src/service-clients/service-client.entity';
import type { RunningServer } from '../../src/server';
import { deferred, within } from './deferred';

/** The origin (http://127.0.0.1:port) of an instance's GraphQL URL. */
export function originOf(url: string): string {
  return new URL(url).origin;
}

export interface TestServiceClient {
  clientId: string;
  clientSecret: string;
  accessToken: string;
}

/** Creates a service client on the instance's database and gets an access token through POST /oauth/token. */
export async function serviceClient(instance: RunningServer, scopes: ServiceScope[], name = 'test client'): Promise<TestServiceClient> {
  const { clientId, clientSecret } = await instance.services.serviceApi.clients.create({ name, scopes });
  const response = await fetch(`${originOf(instance.url)}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
    body: 'grant_type=client_credentials',
  });
  if (response.status !== 200) throw new Error(`token grant answered ${response.status}: ${await response.text()}`);
  const { access_token: accessToken } = (await response.json()) as { access_token: string };
  return { clientId, clientSecret, accessToken };
}

/** A JSON call to the SSF API with a service client's token. */
export async function ssfCall<T = Record<string, unknown>>(
  instance: RunningServer,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${originOf(instance.url)}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export interface ReceivedSet {
  jti: string;
  header: { alg?: string; kid?: string; typ?: string };
  claims: JWTPayload & Record<string, unknown>;
  receivedAt: number;
  /** The Authorization header the push carried. */
  authorization?: string;
}

/**
 * An RFC 8935 push receiver on 127.0.0.1, as an app back-end would run one: it verifies each SET's
 * signature against the transmitter's published JWKS (fetched once) and answers 202, or 400 when
 * it does not verify. `down()` answers 503 to everything until `up()`; `close()` stops listening
 * (connection refused) and `reopen()` listens again on the same port.
 */
export class TestReceiver {
  readonly sets: ReceivedSet[] = [];
  readonly rejected: string[] = [];
  private jwks?: ReturnType<typeof createLocalJWKSet>;
  private unavailable = false;
  private holding?: { arrived: () => void; released: Promise<void>; release: () => void };
  private waiters: { count: number; resolve: () => void }[] = [];
  private readonly listeners = new Set<(set: ReceivedSet) => void>();
  private server: Server;
  port = 0;

  private constructor(private readonly jwksUrl: string) {
    this.server = this.createServer();
  }

  static async start(issuerOrigin: string): Promise<TestReceiver> {
    const receiver = new TestReceiver(`${issuerOrigin}/ssf/jwks`);
    await receiver.listen(0);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/events`;
  }

  private createServer(): Server {
    return createServer((req, res) => {
      void this.handle(req).then(
        ({ status, body }) => res.writeHead(status, { 'content-type': 'application/json' }).end(body),
        () => res.writeHead(500).end(),
      );
    });
  }

  private async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (this.unavailable) return { status: 503, body: '' };
    if (this.holding) {
      // Never answered: the sender is left mid-delivery.
      this.holding.arrived();
      await this.holding.released;
      return { status: 503, body: '' };
    }
    if (req.headers['content-type'] !== 'application/secevent+jwt') return { status: 400, body: JSON.stringify({ err: 'invalid_request' }) };
    const token = Buffer.concat(chunks).toString('utf8');
    this.jwks ??= createLocalJWKSet((await (await fetch(this.jwksUrl)).json()) as JSONWebKeySet);
    try {
      const { payload, protectedHeader } = await jwtVerify(token, this.jwks, { typ: 'secevent+jwt', algorithms: ['RS256'] });
      this.sets.push({ jti: String(payload.jti), header: protectedHeader, claims: payload, receivedAt: performance.now(), authorization: req.headers.authorization });
      const set = this.sets[this.sets.length - 1]!;
      for (const listener of this.listeners) listener(set);
      this.waiters = this.waiters.filter((waiter) => {
        if (this.sets.length < waiter.count) return true;
        waiter.resolve();
        return false;
      });
      return { status: 202, body: '' };
    } catch {
      this.rejected.push(token);
      return { status: 400, body: JSON.stringify({ err: 'invalid_key', description: 'signature did not verify' }) };
    }
  }

  /** Resolves once `count` SETs have been accepted in all. */
  waitFor(count: number, ms = 20_000): Promise<void> {
    if (this.sets.length >= count) return Promise.resolve();
    const waiter = deferred<void>();
    this.waiters.push({ count, resolve: () => waiter.resolve() });
    return within(waiter.promise, ms, `${count} SETs (got ${this.sets.length})`);
  }

  /** Holds every request unanswered from now on; resolves when the first one arrives. */
  hold(): Promise<void> {
    const arrived = deferred<void>();
    const released = deferred<void>();
    this.holding = { arrived: () => arrived.resolve(), released: released.promise, release: () => released.resolve() };
    return within(arrived.promise, 20_000, 'a push to hold');
  }

  /** Answers normally again (held requests get 503). */
  release(): void {
    this.holding?.release();
    this.holding = undefined;
  }

  /** Resolves with the first SET (already received or to come) that `matches`. */
  waitForSet(matches: (set: ReceivedSet) => boolean, ms = 20_000): Promise<ReceivedSet> {
    const found = this.sets.find(matches);
    if (found) return Promise.resolve(found);
    const waiter = deferred<ReceivedSet>();
    const listener = (set: ReceivedSet) => {
      if (matches(set)) waiter.resolve(set);
    };
    this.listeners.add(listener);
    return within(waiter.promise, ms, 'a matching SET').finally(() => this.listeners.delete(listener));
  }

  down(): void {
    this.unavailable = true;
  }

  up(): void {
    this.unavailable = false;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async reopen(): Promise<void> {
    this.server = this.createServer();
    await this.listen(this.port);
  }

  /** The CAEP session-revoked event of a SET. */
  static sessionRevoked(set: ReceivedSet): Record<string, unknown> {
    const events = set.claims.events as Record<string, Record<string, unknown>>;
    return events['https://schemas.openid.net/secevent/caep/event-type/session-revoked']!;
  }
}
