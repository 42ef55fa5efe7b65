import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import type { IncomingMessage } from 'node:http';
import { bearerToken, type RequestContext } from '../api/context';
import type { Logger } from '../common/logger';
import type { Config } from '../config/config';
import type { Metrics } from '../observability/metrics';
import { metricsEndpoint } from '../observability/metrics-endpoint';
import { mountAccountPages } from './account-pages';
import { mountDevicesPage } from './devices-page';
import { mountExplorer } from './explorer';
import type { HttpRequestContext } from './graphql-status';
import { mountHealth, type HealthProbeOptions } from './health';
import { requestLog, traceOf } from './request-log';
import { securityHeaders } from './security-headers';
import { graphqlRequestGuard, notFound, responseTypeFor, transportErrorHandler } from './transport';

export interface HttpAppDeps {
  config: Pick<Config, 'corsOrigins' | 'metricsToken' | 'readinessTimeoutMs'>;
  logger: Logger;
  /** What /readyz probes. */
  health: Omit<HealthProbeOptions, 'timeoutMs'>;
  metrics: Metrics;
  apollo: ApolloServer<HttpRequestContext>;
  /** The request-context builder shared with graphql-ws. */
  requestContext: (request: IncomingMessage, token: string | undefined) => Promise<RequestContext>;
  /** Routes mounted after /graphql (the service API: OAuth, SSF, admin). */
  mountRoutes: (app: express.Express) => void;
}

/**
 * The HTTP side, in the order requests meet it: the access log and security headers on every
 * response; health, metrics and the pages; GraphQL at /graphql; the service API; and last, JSON for
 * whatever no route answered and for every error.
 */
export function buildHttpApp({ config, logger, health, metrics, apollo, requestContext, mountRoutes }: HttpAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLog(logger));
  app.use(securityHeaders());

  mountHealth(app, { ...health, timeoutMs: config.readinessTimeoutMs });
  app.get('/metrics', metricsEndpoint(metrics, config.metricsToken));
  mountExplorer(app);
  mountAccountPages(app);
  mountDevicesPage(app);
  app.use(
    '/graphql',
    cors<cors.CorsRequest>({ origin: config.corsOrigins === '*' ? '*' : config.corsOrigins, maxAge: 600 }),
    graphqlRequestGuard(),
    express.json({ limit: '64kb' }),
    (_req: express.Request, res: express.Response, next: express.NextFunction) => {
      res.set('Cache-Control', 'no-store'); // answers are one person's data
      next();
    },
    expressMiddleware(apollo, {
      context: async ({ req, res }) => ({
        ...(await requestContext(req, bearerToken(req.headers.authorization))),
        responseType: responseTypeFor(req),
        trace: traceOf(res),
      }),
    }),
  );
  mountRoutes(app);
  // Last: whatever no route answered, and every error, as JSON (never express's HTML page).
  app.use(notFound(), transportErrorHandler(logger));
  return app;
}
