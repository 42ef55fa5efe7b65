import type { IncomingMessage } from 'node:http';
import type { RequestContext } from '../api/context';
import type { ClientInfo } from '../devices/client-info';

/** Who the bearer token speaks for: a session's viewer, or a service client's admin surface (ServiceApi.principals). */
export type Principals = (token: string | undefined, client: ClientInfo) => Promise<Pick<RequestContext, 'viewer' | 'admin'>>;

/**
 * What an HTTP request or a WebSocket operation (its upgrade request and the token it connected
 * with) is, for the resolvers. Transports add their own fields (HTTP its response type and trace,
 * WebSocket the hub) around it.
 */
export type RequestContextBuilder = (request: IncomingMessage, token: string | undefined, onUnavailable?: (err: unknown) => null) => Promise<RequestContext>;

/**
 * The one request-context builder, used by both transports. The token goes through the same
 * principals check on both: a service client's `sc_` token never passes a socket's connection
 * check, so over WebSocket this is always the session check, as before.
 * `onUnavailable` (WebSocket: close with 1013) decides what a check the database could not
 * answer becomes; without it the error propagates (HTTP: SERVICE_UNAVAILABLE).
 */
export function createRequestContextBuilder(deps: { clientAddress: (request: IncomingMessage) => string; principals: Principals }): RequestContextBuilder {
  return async (request, token, onUnavailable) => {
    const client: ClientInfo = { ipAddress: deps.clientAddress(request), userAgent: String(request.headers['user-agent'] ?? '') };
    const principals = deps.principals(token, client);
    const { viewer, admin } = await (onUnavailable ? principals.catch((err: unknown) => ({ viewer: onUnavailable(err), admin: null })) : principals);
    return { client, viewer, admin };
  };
}
