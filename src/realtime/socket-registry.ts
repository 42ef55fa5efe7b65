import type { WebSocket } from 'ws';

/** This instance's open WebSockets, by the session that authenticated them. */
export class SocketRegistry {
  private readonly bySession = new Map<string, Set<WebSocket>>();

  /** Tracks `socket` until it closes. */
  add(sessionId: string, socket: WebSocket): void {
    let sockets = this.bySession.get(sessionId);
    if (!sockets) {
      sockets = new Set();
      this.bySession.set(sessionId, sockets);
    }
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0 && this.bySession.get(sessionId) === sockets) this.bySession.delete(sessionId);
    });
  }

  /** Sessions with at least one open socket here. */
  sessionIds(): string[] {
    return [...this.bySession.keys()];
  }

  closeSession(sessionId: string, code: number, reason: string): number {
    const sockets = this.bySession.get(sessionId);
    if (!sockets) return 0;
    this.bySession.delete(sessionId);
    for (const socket of sockets) socket.close(code, reason);
    return sockets.size;
  }

  get size(): number {
    let count = 0;
    for (const sockets of this.bySession.values()) count += sockets.size;
    return count;
  }
}
