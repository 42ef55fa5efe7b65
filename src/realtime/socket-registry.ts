import { WebSocket } from 'ws';

/** This instance's open WebSockets, by the session that authenticated them. */
export class SocketRegistry {
  private readonly bySession = new Map<string, Set<WebSocket>>();

  /**
   * Tracks `socket` until it closes. A socket that already closed (its peer left while its
   * connection_init was being checked) is not tracked, since its 'close' event will never come
   * again to remove it: that returns false.
   */
  add(sessionId: string, socket: WebSocket): boolean {
    if (socket.readyState === WebSocket.CLOSED) return false;
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
    return true;
  }

  /** Sessions with at least one open socket here. */
  sessionIds(): string[] {
    return [...this.bySession.keys()];
  }

  /** The session's open sockets here. */
  socketsOf(sessionId: string): WebSocket[] {
    return [...(this.bySession.get(sessionId) ?? [])];
  }

  /** How many sockets the session holds open here. */
  countFor(sessionId: string): number {
    return this.bySession.get(sessionId)?.size ?? 0;
  }

  closeSession(sessionId: string, code: number, reason: string): number {
    const sockets = this.bySession.get(sessionId);
    if (!sockets) return 0;
    this.bySession.delete(sessionId);
    for (const socket of sockets) socket.close(code, reason);
    return sockets.size;
  }

  /** Every socket tracked here: returns to 0 once every socket has closed, whatever phase it closed in. */
  get size(): number {
    let count = 0;
    for (const sockets of this.bySession.values()) count += sockets.size;
    return count;
  }
}
