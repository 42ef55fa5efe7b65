import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Config } from '../config/config';
import { CloseCode, CloseReason } from './close-codes';
import type { SocketRegistry } from './socket-registry';

export interface SocketCaps {
  /** Authenticated sockets one session may hold open. */
  perSession: number;
  /** Sockets one client IP may hold open, authenticated or not. */
  perAddress: number;
  /** Operations (subscriptions, or queries and mutations over the socket) running at once on one socket. */
  operationsPerSocket: number;
}

export function socketCapsOf(config: Pick<Config, 'wsMaxSocketsPerSession' | 'wsMaxSocketsPerIp' | 'wsMaxSubscriptionsPerSocket'>): SocketCaps {
  return { perSession: config.wsMaxSocketsPerSession, perAddress: config.wsMaxSocketsPerIp, operationsPerSocket: config.wsMaxSubscriptionsPerSocket };
}

/**
 * Caps on what WebSocket clients can make this instance hold (issue 7). Over a cap, the socket is
 * closed with 4429 and a reason that names the cap. Counts are per instance: behind a load
 * balancer each instance enforces its own, so a client spread over N instances can hold up to N
 * times a cap, and what each instance holds stays bounded, which is what the caps are for.
 *
 * - Per client IP (resolved as for sessions, TRUST_PROXY aware), from the upgrade until the socket
 *   closes, whatever its phase: a flood of handshakes that never authenticate counts too. People
 *   behind one address (a carrier NAT, an office) share this allowance, so it is wide by default
 *   (200) and WS_MAX_SOCKETS_PER_IP should be raised where many users share addresses.
 * - Per session, once its token is checked: a stolen token holds at most its own session's
 *   sockets and never uses another session's allowance, so the owner's other sessions always
 *   connect (and can sign the stolen one out).
 * - Per socket, operations running at once (graphql-ws's subscribe messages).
 */
export class SocketLimits {
  private readonly byAddress = new Map<string, number>();

  constructor(
    private readonly caps: SocketCaps,
    private readonly registry: SocketRegistry,
    private readonly addressOf: (request: IncomingMessage) => string,
  ) {}

  /**
   * Counts every socket `server` accepts against its client's address, and closes the one over
   * the cap at once. Call it before graphql-ws's `useServer`, so this runs first; a refused socket
   * is CLOSING by the time graphql-ws sees it, and onConnect refuses it without checking its token.
   */
  watch(server: WebSocketServer): void {
    server.on('connection', (socket, request) => this.countAddress(socket, request));
  }

  private countAddress(socket: WebSocket, request: IncomingMessage): void {
    const address = this.addressOf(request);
    const open = this.byAddress.get(address) ?? 0;
    if (open >= this.caps.perAddress) {
      socket.close(CloseCode.TooManyRequests, CloseReason.TooManyAddressConnections);
      return;
    }
    this.byAddress.set(address, open + 1);
    socket.once('close', () => {
      const left = (this.byAddress.get(address) ?? 1) - 1;
      if (left > 0) this.byAddress.set(address, left);
      else this.byAddress.delete(address);
    });
  }

  /**
   * Once the token is checked: tracks the socket under its session, or closes it with 4429 when
   * the session already holds its cap here. False when it was refused or has already closed.
   * Synchronous, so two sockets of one session checked at once cannot both take the last slot.
   */
  register(sessionId: string, socket: WebSocket): boolean {
    if (this.registry.countFor(sessionId) >= this.caps.perSession) {
      socket.close(CloseCode.TooManyRequests, CloseReason.TooManySessionConnections);
      return false;
    }
    return this.registry.add(sessionId, socket);
  }

  /**
   * For graphql-ws's onSubscribe: `running` counts the operations on the socket, the new one
   * included. Over the cap the socket is closed with 4429; false tells the caller to run nothing.
   */
  admitOperation(socket: WebSocket, running: number): boolean {
    if (running <= this.caps.operationsPerSocket) return true;
    socket.close(CloseCode.TooManyRequests, CloseReason.TooManySubscriptions);
    return false;
  }

  /** Sockets counted against client addresses here; 0 once every socket has closed. */
  get addressCount(): number {
    let count = 0;
    for (const open of this.byAddress.values()) count += open;
    return count;
  }
}
