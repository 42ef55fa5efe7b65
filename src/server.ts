import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import { useServer } from 'graphql-ws/use/ws';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { WebSocket, WebSocketServer } from 'ws';
import { AlertsResolver } from './alerts/alerts.resolver';
import { SignInAlerts } from './alerts/sign-in-alerts.service';
import { AuditLog } from './audit/audit-log.service';
import { AuditResolver } from './audit/audit.resolver';
import { AuthResolver } from './auth/auth.resolver';
import { OneTimeTokens } from './auth/one-time-tokens.service';
import { PasswordResolver } from './auth/password/password.resolver';
import { PasswordService } from './auth/password/password.service';
import { StepUp } from './auth/step-up/step-up.service';
import { TwoFactorResolver } from './auth/two-factor/two-factor.resolver';
import { TwoFactor } from './auth/two-factor/two-factor.service';
import { AuthService } from './auth/auth.service';
import { EmailOwnership } from './auth/email-ownership.service';
import { SignInThrottle } from './auth/sign-in-throttle.service';
import { bearerToken } from './api/context';
import { RateLimitedError } from './common/errors';
import { createErrorFormatter } from './api/format-error';
import { createLogger, type Logger } from './common/logger';
import { createQueryLimits } from './common/query-limits';
import { secretBoxFor } from './common/secret-box';
import { AttemptLimiter, type AttemptPolicy } from './common/rate-limit';
import type { Config } from './config/config';
import { DatabaseClock } from './db/clock';
import { openDatabase } from './db/data-source';
import { CappedMailer } from './mail/capped-mailer.service';
import { createMailer } from './mail/mailer';
import { SecurityNotices } from './mail/security-notices.service';
import { mountAccountPages } from './http/account-pages';
import { mountDevicesPage } from './http/devices-page';
import { mountExplorer } from './http/explorer';
import { mountHealth } from './http/health';
import { graphqlOverHttpStatus, type HttpRequestContext } from './http/graphql-status';
import { securityHeaders } from './http/security-headers';
import { graphqlRequestGuard, notFound, responseTypeFor, transportErrorHandler } from './http/transport';
import { createClientAddressResolver } from './devices/client-address';
import { CloseCode, CloseReason } from './realtime/close-codes';
import { createDocumentCache } from './realtime/document-cache';
import { InProcessEventBus, type EventBus } from './realtime/event-bus';
import { connectRedis, redisTimeouts } from './realtime/redis-connections';
import { RedisEventBus } from './realtime/redis-event-bus';
import { SocketRegistry } from './realtime/socket-registry';
import { closeIfUnavailable } from './realtime/unavailable';
import { SocketLimits, socketCapsOf } from './realtime/socket-limits';
import { buildGraphqlSchema } from './schema';
import { logSockets, requestLog, traceOf } from './http/request-log';
import { ErrorCode } from './common/errors';
import { Metrics } from './observability/metrics';
import { metricsEndpoint } from './observability/metrics-endpoint';
import { operationIn, operationMetrics, rootFieldOf, UNKNOWN_OPERATION } from './observability/operation-metrics';
import { RedisLeases } from './realtime/lease';
import { LeasedCoherence, LocalCoherence, type CacheAck, type CacheCoherence } from './sessions/cache-coherence.service';
import { SessionCache } from './sessions/session-cache.service';
import { SessionEventHub } from './sessions/session-event-hub.service';
import type { SessionBusEvent } from './sessions/session-events';
import { SessionResolver, type SubscriptionContext } from './sessions/session.resolver';
import type { ClientInfo } from './devices/client-info';
import { SessionService } from './sessions/session.service';
import { SessionSweeper } from './sessions/session-sweeper.service';
import { SessionTerminator } from './sessions/session-terminator.service';
import { AdminResolver } from './admin/admin.resolver';
import { EndingOutbox } from './ssf/ssf-outbox.service';
import { startServiceApi, type ServiceApi } from './ssf/service-api';

export interface RunningServer {
  /** http://host:port/graphql; the WebSocket endpoint is the same path with ws:// */
  url: string;
  port: number;
  services: Services;
  /** Stops accepting, closes sockets, drains requests, then closes Redis and the database. */
  dispose(): Promise<void>;
}

/** How often each instance re-measures its offset to the database clock. */
const CLOCK_REFRESH_SECONDS = 60;

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

type SocketExtra = {
  socket: WebSocket;
  request: IncomingMessage;
  token?: string;
};

/** Builds and starts one instance: HTTP and graphql-ws on one port and path, over the configured stores. */
export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  // Once: a second call (a second signal, a test's afterAll) waits for the first instead of re-running it.
  let disposing: Promise<void> | undefined;
  const dispose = () =>
    (disposing ??= (async () => {
      for (const cleanup of cleanups.reverse()) {
        await Promise.resolve(cleanup()).catch((err) => logger.warn({ err }, 'error during shutdown'));
      }
    })());

  try {
    const dataSource = await openDatabase(config);
    cleanups.push(() => dataSource.destroy());
    const clock = new DatabaseClock(dataSource);
    await clock.sync();
    clock.start(CLOCK_REFRESH_SECONDS, (err) => logger.warn({ err }, 'could not measure the database clock; keeping the last offset'));
    cleanups.push(() => clock.stop());

    let redis: Redis | undefined;
    let subscriber: Redis | undefined;
    let bus: EventBus<SessionBusEvent>;
    if (config.redisUrl) {
      const connections = await connectRedis(config.redisUrl, logger, redisTimeouts(config));
      redis = connections.commands;
      subscriber = connections.subscriber;
      cleanups.push(() => connections.close());
      const redisBus = new RedisEventBus<SessionBusEvent>(redis, subscriber, `${config.redisPrefix}session-events`, logger);
      await redisBus.whenReady();
      bus = redisBus;
    } else {
      bus = new InProcessEventBus<SessionBusEvent>();
    }
    cleanups.push(() => bus.close());

    const sockets = new SocketRegistry();
    const metrics = new Metrics(() => sockets.size);
    const hub = new SessionEventHub(bus, sockets, logger, {
      // terminatedAt is the database's time of the ending; clock.now() reads the same clock here.
      onSocketsClosed: (event) => metrics.socketsClosedAfter((clock.now().getTime() - event.terminatedAt.getTime()) / 1000),
    });
    hub.start();
    cleanups.push(() => hub.stop());

    const limiter = (name: string, policy: AttemptPolicy) => new AttemptLimiter(name, policy, redis, config.redisPrefix, metrics);
    const FIFTEEN_MINUTES = 15 * 60;
    // Every email goes through the per-address caps; nothing else holds the transport.
    const mailer = new CappedMailer(createMailer(config, logger), limiter, { perAddressPerDay: config.mailCapPerAddressPerDay, logKey: config.secretKey }, logger);
    cleanups.push(() => mailer.close());

    // Without Redis there is one process: endings drop entries in-process, no lease needed. Across
    // instances the lease also needs the Postgres endings log (ADR 0004), so SQLite with Redis reads every time.
    const sessionCache = new SessionCache(config.sessionCacheMaxEntries, !config.redisUrl);
    let caches: CacheCoherence;
    if (redis && subscriber && dataSource.options.type === 'postgres' && config.sessionCacheMaxEntries > 0) {
      const leaseMs = config.sessionCacheLeaseMs;
      const acks = new RedisEventBus<CacheAck>(redis, subscriber, `${config.redisPrefix}session-cache-acks`, logger);
      await acks.whenReady();
      cleanups.push(() => acks.close());
      const leases = new RedisLeases(redis, `${config.redisPrefix}session-cache-leases`, randomUUID(), leaseMs);
      caches = new LeasedCoherence(sessionCache, dataSource, leases, bus, acks, subscriber, { leaseMs, marginMs: Math.max(50, leaseMs / 10) }, logger);
    } else {
      caches = new LocalCoherence(sessionCache, bus);
    }
    await caches.start();
    cleanups.push(() => caches.stop());

    const auditLog = new AuditLog(dataSource, clock);
    const sessions = new SessionService(dataSource, config, hub, clock, sessionCache);
    const endingOutbox = new EndingOutbox(dataSource);
    const terminator = new SessionTerminator(dataSource, hub, auditLog, clock, logger, caches, endingOutbox, metrics);
    const tokens = new OneTimeTokens(dataSource);
    const notices = new SecurityNotices(mailer, logger);
    const twoFactor = new TwoFactor(dataSource, tokens, auditLog, notices, secretBoxFor(config));
    await twoFactor.prepareStoredSecrets();
    // Wrong confirmations and wrong current passwords share one budget per session, never per account.
    const wrongConfirmations = limiter('confirm-session', { points: 10, windowSeconds: FIFTEEN_MINUTES });
    const stepUp = new StepUp(dataSource, config, sessions, tokens, twoFactor, auditLog, mailer, {
      failures: wrongConfirmations,
      emailCodes: limiter('email-code-session', { points: 5, windowSeconds: FIFTEEN_MINUTES }),
    });
    // Per IP: wide, since offices and carriers share addresses. Per (address, IP): one source guessing one
    // account. Per address: never a refusal, only a bounded slowdown (see SignInThrottle).
    const signInThrottle = new SignInThrottle({
      perIp: limiter('login-ip', { points: 100, windowSeconds: FIFTEEN_MINUTES }),
      perAddressAndIp: limiter('login-address-ip', { points: 10, windowSeconds: FIFTEEN_MINUTES }),
      perAddress: limiter('login-address', { points: 1_000_000, windowSeconds: FIFTEEN_MINUTES, blockSeconds: 0 }),
    });
    const passwords = new PasswordService(
      dataSource,
      config,
      sessions,
      terminator,
      tokens,
      twoFactor,
      mailer,
      notices,
      // Reset emails are capped per address by the mailer (MAIL_CAPS), silently.
      { wrongPasswords: wrongConfirmations },
      logger,
    );
    const alerts = new SignInAlerts(config, tokens, sessions, terminator, passwords, mailer, logger);
    const ownership = new EmailOwnership(dataSource, config, tokens, terminator, mailer, limiter('verify-email', { points: 5, windowSeconds: 60 * 60 }), logger);
    const auth = new AuthService(
      dataSource,
      sessions,
      twoFactor,
      auditLog,
      ownership,
      signInThrottle,
      limiter('register-ip', { points: config.registerLimitPerIpPerHour, windowSeconds: 60 * 60 }),
    );
    auth.onSignedIn((user, session) => alerts.afterSignIn(user, session));
    const sweeper = new SessionSweeper(dataSource, terminator, hub, sockets, clock, config, logger);
    sweeper.start(config.expirySweepSeconds);
    cleanups.push(() => sweeper.stop());
    const serviceApi = await startServiceApi({ config, dataSource, clock, sessions, terminator, auditLog, outbox: endingOutbox, logger });
    cleanups.push(() => serviceApi.stop());
    // Endings published while this instance could not hear the bus never arrive: look for them once it hears again.
    cleanups.push(bus.onResumed(() => void sweeper.reconcile()));

    const schema = await buildGraphqlSchema(
      new Map<Function, object>([
        [AuthResolver, new AuthResolver(auth, ownership)],
        [SessionResolver, new SessionResolver(sessions, terminator, stepUp)],
        [PasswordResolver, new PasswordResolver(passwords)],
        [TwoFactorResolver, new TwoFactorResolver(auth, twoFactor, stepUp)],
        [AlertsResolver, new AlertsResolver(alerts)],
        [AuditResolver, new AuditResolver(auditLog)],
        [AdminResolver, new AdminResolver()],
      ]),
    );
    const formatError = createErrorFormatter(logger);
    const limits = createQueryLimits({ introspection: config.introspection });
    const clientAddress = createClientAddressResolver(config.trustProxy);
    const clientOf = (req: IncomingMessage): ClientInfo => ({
      ipAddress: clientAddress(req),
      userAgent: String(req.headers['user-agent'] ?? ''),
    });

    const app = express();
    app.disable('x-powered-by');
    app.use(requestLog(logger));
    app.use(securityHeaders());
    const httpServer = createHttpServer(app);
    const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 64 * 1024 });
    logSockets(wsServer, logger);

    // Before useServer: sockets over the per-IP cap are closed before graphql-ws reads them.
    const socketLimits = new SocketLimits(socketCapsOf(config), sockets, clientAddress);
    socketLimits.watch(wsServer);
    const documents = createDocumentCache(schema, limits.validate, limits.parseOptions);
    const wsHandle = useServer<Record<string, unknown>, SocketExtra>(
      {
        schema,
        onConnect: async (ctx) => {
          // Refused by a cap, or the client already left.
          if (ctx.extra.socket.readyState !== WebSocket.OPEN) return false;
          const token = bearerToken(ctx.connectionParams?.authorization);
          const epoch = sessions.cacheEpoch;
          const session = await sessions.authenticate(token).catch(closeIfUnavailable(ctx.extra.socket));
          if (!session) {
            ctx.extra.socket.close(CloseCode.Unauthorized, CloseReason.Unauthorized);
            return false;
          }
          ctx.extra.token = token;
          // Over the session's cap, or closed during the check (it would never leave the registry).
          if (!socketLimits.register(session.id, ctx.extra.socket)) return false;
          // An ending that committed between the check and the registration would have found no socket to close.
          if (!(await sessions.stillLive(session.id, epoch).catch(closeIfUnavailable(ctx.extra.socket)))) {
            ctx.extra.socket.close(CloseCode.Unauthorized, CloseReason.SessionTerminated);
            return false;
          }
          return true;
        },
        // Parsed and validated (with the query limits) once per distinct document, not once per socket.
        onSubscribe: (ctx, _id, payload) => {
          // graphql-ws lists the new operation in ctx.subscriptions before calling this.
          if (!socketLimits.admitOperation(ctx.extra.socket, Object.keys(ctx.subscriptions).length)) return [new RateLimitedError(1)];
          const document = documents(payload.query);
          if (!('kind' in document)) {
            metrics.operation('ws', 'unknown', UNKNOWN_OPERATION, ErrorCode.BAD_USER_INPUT);
            return [...document];
          }
          const operation = operationIn(document, payload.operationName);
          metrics.operation('ws', operation?.operation ?? 'unknown', rootFieldOf(operation), 'OK');
          return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
        },
        // The token is checked again for every operation, as on HTTP.
        context: async (ctx): Promise<SubscriptionContext> => ({
          client: clientOf(ctx.extra.request),
          viewer: await sessions.authenticate(ctx.extra.token).catch(closeIfUnavailable(ctx.extra.socket)),
          hub,
        }),
        onNext: (_ctx, _id, _payload, _args, result) =>
          result.errors ? { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) } : undefined,
        onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error.toJSON(), error)),
      },
      wsServer,
    );

    const apollo = new ApolloServer<HttpRequestContext>({
      schema,
      // main owns SIGTERM/SIGINT (src/shutdown.ts); Apollo's handlers would stop it a second time, which never resolves.
      stopOnTerminationSignals: false,
      formatError,
      includeStacktraceInErrorResponses: false,
      // Decided by INTROSPECTION through limits.validationRules, as on WebSocket (Apollo's own default follows NODE_ENV).
      introspection: true,
      parseOptions: limits.parseOptions,
      validationRules: limits.validationRules,
      plugins: [
        ...limits.apolloPlugins,
        graphqlOverHttpStatus(),
        operationMetrics(metrics),
        // In-flight requests get most of the shutdown budget; the rest closes Redis and the database.
        ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownTimeoutSeconds * 750 }),
        ApolloServerPluginLandingPageDisabled(),
        // Nothing here is cacheable (per-user data); without this plugin Apollo stops wrapping every field resolver.
        ApolloServerPluginCacheControlDisabled(),
        { serverWillStart: async () => ({ drainServer: async () => void (await wsHandle.dispose()) }) },
      ],
    });
    await apollo.start();
    cleanups.push(() => apollo.stop());

    mountHealth(app, { dataSource, redis, timeoutMs: config.readinessTimeoutMs });
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
          client: clientOf(req),
          ...(await serviceApi.principals(bearerToken(req.headers.authorization), clientOf(req))),
          responseType: responseTypeFor(req),
          trace: traceOf(res),
        }),
      }),
    );
    serviceApi.mount(app);
    // Last: whatever no route answered, and every error, as JSON (never express's HTML page).
    app.use(notFound(), transportErrorHandler(logger));

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => resolve());
    });
    const { port } = httpServer.address() as AddressInfo;
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    return {
      url: `http://${host}:${port}/graphql`,
      port,
      services: { clock, sessions, terminator, auth, auditLog, hub, sockets, socketLimits, sweeper, sessionCache, dataSource, serviceApi },
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}

