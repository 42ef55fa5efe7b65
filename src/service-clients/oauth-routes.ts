import express, { type Express, type Request, type Response } from 'express';
import type { Logger } from '../common/logger';
import type { SessionService } from '../sessions/session.service';
import { ServiceScope } from './service-client.entity';
import { parseScopes, type ServiceClients } from './service-clients.service';
import { sendForbidden, servicePrincipalOf } from './service-auth';

/** Sessions are issued to the app itself; introspection names it so. */
const SESSION_CLIENT_ID = 'signoff';

function oauthError(res: Response, status: number, error: string, description?: string): void {
  if (status === 401) res.set('WWW-Authenticate', 'Basic realm="signoff"');
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .json({ error, ...(description ? { error_description: description } : {}) });
}

function form(req: Request): Record<string, unknown> {
  return (req.body ?? {}) as Record<string, unknown>;
}

/**
 * POST /oauth/token (RFC 6749 4.4, client-credentials grant only) and POST /oauth/introspect
 * (RFC 7662). Both take application/x-www-form-urlencoded bodies; clients authenticate with HTTP
 * Basic or client_id/client_secret in the body; introspection also takes an `sc_` access token.
 */
export function mountOAuth(app: Express, deps: { clients: ServiceClients; sessions: SessionService; issuer: string; logger: Logger }): void {
  const { clients, sessions, issuer, logger } = deps;
  const body = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });
  const wrap = (handler: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: (err: unknown) => void) => handler(req, res).catch(next);

  app.post(
    '/oauth/token',
    body,
    wrap(async (req, res) => {
      if (!req.is('application/x-www-form-urlencoded')) return oauthError(res, 400, 'invalid_request', 'send application/x-www-form-urlencoded');
      const params = form(req);
      if (params.grant_type !== 'client_credentials') return oauthError(res, 400, 'unsupported_grant_type');
      const principal = await servicePrincipalOf(req, clients, 'credentials');
      if (!principal) {
        logger.info({ path: req.path }, 'client authentication failed');
        return oauthError(res, 401, 'invalid_client');
      }
      let requested;
      try {
        requested = typeof params.scope === 'string' ? parseScopes(params.scope) : [];
      } catch {
        return oauthError(res, 400, 'invalid_scope');
      }
      const issued = await clients.issueToken(principal, requested);
      if (!issued) return oauthError(res, 400, 'invalid_scope');
      res
        .set('Cache-Control', 'no-store')
        .set('Pragma', 'no-cache')
        .json({
          access_token: issued.accessToken,
          token_type: 'Bearer',
          expires_in: issued.expiresIn,
          scope: issued.scopes.join(' '),
        });
    }),
  );

  app.post(
    '/oauth/introspect',
    body,
    wrap(async (req, res) => {
      const principal = await servicePrincipalOf(req, clients, 'either');
      if (!principal) return oauthError(res, 401, 'invalid_client');
      if (!principal.scopes.includes(ServiceScope.INTROSPECT)) return sendForbidden(res, ServiceScope.INTROSPECT);
      const token = form(req).token;
      if (typeof token !== 'string' || token.length === 0) return oauthError(res, 400, 'invalid_request', 'token is required');
      res.set('Cache-Control', 'no-store');
      // The same check as every request's (SessionService), without counting as the device's activity.
      const session = await sessions.inspect(token);
      if (!session) {
        res.json({ active: false });
        return;
      }
      res.json({
        active: true,
        token_type: 'Bearer',
        iss: issuer,
        client_id: SESSION_CLIENT_ID,
        sub: session.userId,
        sid: session.id,
        iat: Math.floor(session.createdAt.getTime() / 1000),
        exp: Math.floor(session.expiresAt.getTime() / 1000),
      });
    }),
  );
}
