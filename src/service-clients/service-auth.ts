import type { Request, RequestHandler, Response } from 'express';
import { bearerToken } from '../api/context';
import type { ServiceScope } from './service-client.entity';
import { isServiceToken, type ServiceClients, type ServicePrincipal } from './service-clients.service';

/** HTTP Basic client credentials (RFC 6749 2.3.1: both parts form-urlencoded), or undefined. */
function basicCredentials(header: unknown): { clientId: string; clientSecret: string } | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return { clientId: decodeURIComponent(decoded.slice(0, colon)), clientSecret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

/** How a request may prove it comes from a service client. */
export type ServiceProof = 'access-token' | 'credentials' | 'either';

/** A service client's request: an `sc_` access token, or (for the OAuth endpoints) its credentials. */
export async function servicePrincipalOf(req: Request, clients: ServiceClients, accept: ServiceProof): Promise<ServicePrincipal | null> {
  const token = bearerToken(req.headers.authorization);
  if (isServiceToken(token)) return accept === 'credentials' ? null : clients.authenticate(token);
  if (accept === 'access-token') return null;
  const basic = basicCredentials(req.headers.authorization);
  const body = (req.body ?? {}) as Record<string, unknown>;
  const posted = typeof body.client_id === 'string' && typeof body.client_secret === 'string' ? { clientId: body.client_id, clientSecret: body.client_secret } : undefined;
  const credentials = basic ?? posted;
  return credentials ? clients.verifyCredentials(credentials.clientId, credentials.clientSecret) : null;
}

/** RFC 6750 answers: 401 with no or a bad token, 403 when the token lacks the scope. */
function sendUnauthorized(res: Response, scope: ServiceScope): void {
  res.status(401).set('WWW-Authenticate', `Bearer error="invalid_token", scope="${scope}"`).set('Cache-Control', 'no-store').json({ error: 'invalid_token' });
}

export function sendForbidden(res: Response, scope: ServiceScope): void {
  res.status(403).set('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${scope}"`).set('Cache-Control', 'no-store').json({ error: 'insufficient_scope', scope });
}

/** Lets the request through with `res.locals.principal` set only for a service client holding `scope` (or one of `alternatives`). */
export function requireScope(clients: ServiceClients, scope: ServiceScope, ...alternatives: ServiceScope[]): RequestHandler {
  return async (req, res, next) => {
    try {
      const principal = await servicePrincipalOf(req, clients, 'access-token');
      if (!principal) return sendUnauthorized(res, scope);
      if (![scope, ...alternatives].some((held) => principal.scopes.includes(held))) return sendForbidden(res, scope);
      res.locals.principal = principal;
      next();
    } catch (err) {
      next(err);
    }
  };
}
