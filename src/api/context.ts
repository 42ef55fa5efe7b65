import type { SessionEntity } from '../sessions/session.entity';
import type { ClientInfo } from '../devices/client-info';
import type { AdminActions } from '../admin/admin-actions.service';
import { signInRequired } from '../sessions/session.errors';

/** What every resolver knows about the request, built the same way for HTTP and WebSocket. */
export interface RequestContext {
  client: ClientInfo;
  /** The live session the bearer token belongs to; null when there is none. */
  viewer: SessionEntity | null;
  /** Set when the bearer token is a service client's (`sc_`) holding the `admin` scope: the admin surface, bound to that client. */
  admin?: AdminActions | null;
}

export function requireViewer(context: RequestContext): SessionEntity {
  if (!context.viewer) throw signInRequired();
  return context.viewer;
}

/** "Bearer <token>" to token; anything else to undefined. */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
