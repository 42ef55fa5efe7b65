import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy to a real server that a test can cut and restore: takes a store "down" for one
 * instance without touching the shared server.
 */
export class TcpLink {
  private readonly sockets = new Set<Socket>();
  private up = true;
  private readonly server = createServer((client) => {
    if (!this.up) {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, this.targetHost);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });

  private constructor(
    private readonly targetPort: number,
    private readonly targetHost: string,
  ) {}

  static async open(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpLink> {
    const link = new TcpLink(targetPort, targetHost);
    await new Promise<void>((resolve) => link.server.listen(0, '127.0.0.1', resolve));
    return link;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Drops every open connection and refuses new ones until `restore`. */
  cut(): void {
    this.up = false;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.up = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
