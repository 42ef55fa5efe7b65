import type { Socket } from 'node:net';
import { print } from 'graphql';
import WebSocket from 'ws';
import { OnSessionTerminatedDocument } from '../generated/graphql';
import { DEVICES, wsUrl, type TestDevice } from './client';
import { deferred, within } from './deferred';

/** A bare graphql-transport-ws socket: the test decides every frame, including never reading again. */
export class RawSocket {
  private constructor(readonly socket: WebSocket) {}

  /** Opens, sends connection_init with the token and resolves once the server acknowledged it. */
  static async acknowledged(url: string, token: string, device: TestDevice = DEVICES.chromeOnWindows): Promise<RawSocket> {
    const socket = new WebSocket(wsUrl(url), 'graphql-transport-ws', { localAddress: device.ip, headers: { 'user-agent': device.userAgent } });
    const ack = deferred<void>();
    socket.on('error', (err) => ack.reject(err));
    socket.on('close', (code, reason) => ack.reject(new Error(`closed ${code} ${reason.toString()}`)));
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') ack.resolve();
    });
    await within(ack.promise, 5000, 'connection_ack');
    socket.removeAllListeners('close');
    socket.removeAllListeners('error');
    socket.on('error', () => undefined);
    return new RawSocket(socket);
  }

  subscribeToTermination(id = 'terminated'): void {
    this.socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query: print(OnSessionTerminatedDocument) } }));
  }

  /**
   * Stops reading from the TCP socket, then asks for `bytes` of pongs (graphql-ws echoes a ping's
   * payload): once the kernel buffers on both ends are full, every later message the server
   * sends, sessionTerminated included, waits in the server's memory and its write never completes.
   */
  stall(bytes = 8 * 1024 * 1024): void {
    (this.socket as unknown as { _socket: Socket })._socket.pause();
    const pad = 'x'.repeat(60_000);
    for (let sent = 0; sent < bytes; sent += pad.length) this.socket.send(JSON.stringify({ type: 'ping', payload: { pad } }));
  }

  /** Reads again and closes cleanly (dropping a connection with unread data would reset it). */
  async release(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((resolve) => this.socket.once('close', resolve));
    (this.socket as unknown as { _socket: Socket })._socket.resume();
    this.socket.close(1000);
    await within(closed, 10_000, 'a released socket to close').catch(() => this.socket.terminate());
  }
}
