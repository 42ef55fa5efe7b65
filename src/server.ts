import 'reflect-metadata';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { WebSocketServer } from 'ws';
import type { AuditLog } from './audit/audit-log.service';
import type { AuthService } from './auth/auth.service';
import { createErrorFormatter } from './api/format-error';
import { createLogger, type Logger } from './common/logger';
import { createQueryLimits } from './common/query-limits';
import { createRequestContextBuilder } from './composition/request-context';
import { buildSchema, buildServices, startSessionEvents } from './composition/services';
import { openStores, startSessionCaches } from './composition/stores';
import type { Config } from './config/config';
import type { DatabaseClock } from './db/clock';
import { createClientAddressResolver } from './devices/client-address';
import { startApollo } from './http/apollo';
import { buildHttpApp } from './http/app';
import { logSockets } from './http/request-log';
import { Lifecycle } from './lifecycle';
import { serveGraphqlOverWebSocket } from './realtime/graphql-ws-server';
import { SocketLimits, socketCapsOf } from './realtime/socket-limits';
import type { SocketRegistry } from './realtime/socket-registry';
import type { SessionCache } from './sessions/session-cache.service';
import type { SessionEventHub } from './sessions/session-event-hub.service';
import type { SubscriptionContext } from './sessions/session.resolver';
import type { SessionService } from './sessions/session.service';
import type { SessionSweeper } from './sessions/session-sweeper.service';
import type { SessionTerminator } from './sessions/session-terminator.service';
import type { ServiceApi } from './ssf/service-api';

export interface RunningServer {
  /** http://host:port/graphql; the WebSocket endpoint is the same path with ws:// */
  url: string;
  port: number;
  services: Services;
  /** Stops accepting, closes sockets, drains requests, then closes Redis and the database. */
  dispose(): Promise<void>;
}

export interface Services {
  clock: DatabaseClock;
  sessions: SessionService;
  terminator: SessionTerminator;
  auth: AuthService;
  auditLog: AuditLog;
  hub: SessionEventHub;
  sockets: SocketRegistry;
  socketLimits: SocketLimits;
  sweeper: SessionSweeper;
  /** This instance's leased memory of live sessions (ADR 0004). */
  sessionCache: SessionCache;
  dataSource: DataSource;
  /** Service clients, OAuth, admin principals and the SSF transmitter. */
  serviceApi: ServiceApi;
}

/**
 * Builds and starts one instance: HTTP and graphql-ws on one port and path, over the configured stores.
 * The composition root: each step starts one part and registers its stop, so shutdown runs in the
 * reverse order (stop accepting and drain, then the services, then Redis, then the database).
 */
export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const lifecycle = new Lifecycle(logger);
  try {
    // Persistence and pub/sub: the database and its clock, Redis and the session bus (listening before anything serves).
    const stores = await openStores(config, logger, lifecycle);
    const { sockets, metrics, hub } = startSessionEvents(stores, logger, lifecycle);
    const caches = await startSessionCaches(config, stores, logger, lifecycle);
    const services = await buildServices(config, logger, stores, { sockets, metrics, hub }, caches, lifecycle);
    const { sessions, serviceApi } = services;

    const schema = await buildSchema(services);
    const formatError = createErrorFormatter(logger);
    const limits = createQueryLimits({ introspection: config.introspection });
    const clientAddress = createClientAddressResolver(config.trustProxy);
    const requestContext = createRequestContextBuilder({ clientAddress, principals: serviceApi.principals });

    // One port and path for both transports; the express app is attached once everything it routes to exists.
    const httpServer = createHttpServer();
    const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 64 * 1024 });
    logSockets(wsServer, logger);
    const socketLimits = new SocketLimits(socketCapsOf(config), sockets, clientAddress);
    const graphqlWs = serveGraphqlOverWebSocket(wsServer, {
      schema,
      limits,
      sessions,
      socketLimits,
      metrics,
      formatError,
      context: async (request, token, onUnavailable): Promise<SubscriptionContext> => ({ ...(await requestContext(request, token, onUnavailable)), hub }),
    });
    const apollo = await startApollo({
      schema,
      limits,
      formatError,
      metrics,
      httpServer,
      shutdownTimeoutSeconds: config.shutdownTimeoutSeconds,
      drainSockets: () => graphqlWs.dispose(),
    });
    lifecycle.onDispose('HTTP and WebSocket drain', () => apollo.stop());
    const app = buildHttpApp({
      config,
      logger,
      health: { dataSource: stores.dataSource, redis: stores.redis },
      metrics,
      apollo,
      requestContext,
      mountRoutes: (routes) => serviceApi.mount(routes),
    });
    httpServer.on('request', app);

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => resolve());
    });
    const { port } = httpServer.address() as AddressInfo;
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const { clock, dataSource } = stores;
    const { terminator, auth, auditLog, sweeper } = services;
    return {
      url: `http://${host}:${port}/graphql`,
      port,
      services: { clock, sessions, terminator, auth, auditLog, hub, sockets, socketLimits, sweeper, sessionCache: caches.sessionCache, dataSource, serviceApi },
      dispose: () => lifecycle.dispose(),
    };
  } catch (err) {
    await lifecycle.dispose();
    throw err;
  }
}
