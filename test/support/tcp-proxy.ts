import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real server (Redis, Postgres) that a test can cut and restore, so one
 * instance loses its store while the shared server keeps running for everyone else.
 * - `cut()`: drops every connection and refuses new ones (connections are accepted, then closed),
 *   like a store that went away;
 * - `stall()`: keeps connections open but forwards nothing, like a network that blackholes;
 * - `restore()`: forwards again (stalled connections resume, new ones are piped);
 * - `abandonStalled()`: forwards new connections, leaving the stalled ones silent forever.
 */
export class TcpProxy {
  private mode: 'open' | 'cut' | 'stalled' = 'open';
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly abandoned = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = createServer((client) => proxy.accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    return proxy;
  }

  /** The same URL with the proxy's host and port. */
  urlFor(targetUrl: string): string {
    const url = new URL(targetUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    client.on('error', () => undefined);
    if (this.mode === 'cut') {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const forget = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', forget);
    upstream.once('close', forget);
    client.pipe(upstream);
    upstream.pipe(client);
    if (this.mode === 'stalled') this.pausePair(pair);
  }

  private pausePair([client, upstream]: [Socket, Socket]): void {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  }

  /**
   * Closes every open connection and refuses new ones until `restore()`. `destroy`, not
   * `resetAndDestroy`: on Node 20 a reset socket left the test process spinning at exit.
   */
  cut(): void {
    this.mode = 'cut';
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Forwards nothing, in either direction, until `restore()`; connections stay open. */
  stall(): void {
    this.mode = 'stalled';
    for (const pair of this.pairs) this.pausePair(pair);
  }

  restore(): void {
    if (this.mode === 'stalled') {
      for (const [client, upstream] of this.pairs) {
        client.pipe(upstream);
        upstream.pipe(client);
      }
    }
    this.mode = 'open';
  }

  /**
   * Like a database restarted behind a black hole: the stalled connections are left hanging
   * forever (nothing more is forwarded or closed on them, so their clients hear nothing), and new
   * connections are forwarded again.
   */
  abandonStalled(): void {
    for (const pair of this.pairs) {
      const [client, upstream] = pair;
      client.removeAllListeners('close');
      upstream.removeAllListeners('close');
      upstream.destroy();
      this.abandoned.add(client);
    }
    this.pairs.clear();
    this.mode = 'open';
  }

  get connections(): number {
    return this.pairs.size;
  }

  async close(): Promise<void> {
    this.cut();
    for (const client of this.abandoned) client.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
