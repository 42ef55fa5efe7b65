import { AdminResolver } from '../admin/admin.resolver';
import { AlertsResolver } from '../alerts/alerts.resolver';
import { SignInAlerts } from '../alerts/sign-in-alerts.service';
import { AuditLog } from '../audit/audit-log.service';
import { AuditResolver } from '../audit/audit.resolver';
import { AuthResolver } from '../auth/auth.resolver';
import { AuthService, registrationLimit } from '../auth/auth.service';
import { EmailOwnership, verificationResendLimit } from '../auth/email-ownership.service';
import { OneTimeTokens } from '../auth/one-time-tokens.service';
import { PasswordResolver } from '../auth/password/password.resolver';
import { PasswordService } from '../auth/password/password.service';
import { SignInThrottle, signInLimits } from '../auth/sign-in-throttle.service';
import { StepUp, stepUpLimits, wrongConfirmationLimit } from '../auth/step-up/step-up.service';
import { TwoFactorResolver } from '../auth/two-factor/two-factor.resolver';
import { TwoFactor } from '../auth/two-factor/two-factor.service';
import type { Logger } from '../common/logger';
import { limiterFactory } from '../common/rate-limit';
import { secretBoxFor } from '../common/secret-box';
import type { Config } from '../config/config';
import type { Lifecycle } from '../lifecycle';
import { CappedMailer } from '../mail/capped-mailer.service';
import { createMailer } from '../mail/mailer';
import { SecurityNotices } from '../mail/security-notices.service';
import { Metrics } from '../observability/metrics';
import { SocketRegistry } from '../realtime/socket-registry';
import { buildGraphqlSchema } from '../schema';
import { SessionEventHub } from '../sessions/session-event-hub.service';
import { SessionResolver } from '../sessions/session.resolver';
import { SessionService } from '../sessions/session.service';
import { SessionSweeper } from '../sessions/session-sweeper.service';
import { SessionTerminator } from '../sessions/session-terminator.service';
import { EndingOutbox } from '../ssf/ssf-outbox.service';
import { startServiceApi, type ServiceApi } from '../ssf/service-api';
import type { SessionCaches, Stores } from './stores';

/** This instance's open sockets, the metrics that count them, and the hub that closes them on endings. */
export interface SessionEvents {
  sockets: SocketRegistry;
  metrics: Metrics;
  hub: SessionEventHub;
}

/** Starts listening for session endings on the bus, to close this instance's sockets of ended sessions. */
export function startSessionEvents({ bus, clock }: Stores, logger: Logger, lifecycle: Lifecycle): SessionEvents {
  const sockets = new SocketRegistry();
  const metrics = new Metrics(() => sockets.size);
  const hub = new SessionEventHub(bus, sockets, logger, {
    // terminatedAt is the database's time of the ending; clock.now() reads the same clock here.
    onSocketsClosed: (event) => metrics.socketsClosedAfter((clock.now().getTime() - event.terminatedAt.getTime()) / 1000),
  });
  hub.start();
  lifecycle.onDispose('session event hub', () => hub.stop());
  return { sockets, metrics, hub };
}

/** The domain: what resolvers, routes and background jobs call. */
export interface DomainServices {
  auditLog: AuditLog;
  sessions: SessionService;
  terminator: SessionTerminator;
  twoFactor: TwoFactor;
  stepUp: StepUp;
  passwords: PasswordService;
  alerts: SignInAlerts;
  ownership: EmailOwnership;
  auth: AuthService;
  sweeper: SessionSweeper;
  /** Service clients, OAuth, admin principals and the SSF transmitter. */
  serviceApi: ServiceApi;
}

/**
 * Builds the domain services over the stores and starts their background jobs (expiry sweep, SSF
 * delivery). Each feature declares its own rate-limit policies; this only hands them the limiter.
 */
export async function buildServices(
  config: Config,
  logger: Logger,
  stores: Stores,
  { sockets, metrics, hub }: SessionEvents,
  { sessionCache, coherence }: SessionCaches,
  lifecycle: Lifecycle,
): Promise<DomainServices> {
  const { dataSource, clock, redis, bus } = stores;
  const limiter = limiterFactory(redis, config.redisPrefix, metrics);
  // Every email goes through the per-address caps (MAIL_CAPS, and the daily total); nothing else holds the transport.
  const mailer = new CappedMailer(createMailer(config, logger), limiter, { perAddressPerDay: config.mailCapPerAddressPerDay, logKey: config.secretKey }, logger);
  lifecycle.onDispose('mailer', () => mailer.close());

  const auditLog = new AuditLog(dataSource, clock, logger);
  lifecycle.onDispose('buffered audit events', () => auditLog.flush());
  const sessions = new SessionService(dataSource, config, hub, clock, sessionCache);
  const endingOutbox = new EndingOutbox(dataSource);
  const terminator = new SessionTerminator(dataSource, hub, auditLog, clock, logger, coherence, endingOutbox, metrics);
  const tokens = new OneTimeTokens(dataSource);
  const notices = new SecurityNotices(mailer, logger);
  const twoFactor = new TwoFactor(dataSource, tokens, auditLog, notices, secretBoxFor(config));
  await twoFactor.prepareStoredSecrets();
  const wrongConfirmations = wrongConfirmationLimit(limiter);
  const stepUp = new StepUp(dataSource, config, sessions, tokens, twoFactor, auditLog, mailer, stepUpLimits(limiter, wrongConfirmations));
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
  const ownership = new EmailOwnership(dataSource, config, tokens, terminator, mailer, verificationResendLimit(limiter), logger);
  const auth = new AuthService(dataSource, sessions, twoFactor, auditLog, ownership, new SignInThrottle(signInLimits(limiter)), registrationLimit(limiter, config));
  auth.onSignedIn((user, session) => alerts.afterSignIn(user, session));

  const sweeper = new SessionSweeper(dataSource, terminator, hub, sockets, clock, config, logger);
  sweeper.start(config.expirySweepSeconds);
  lifecycle.onDispose('expiry sweeper', () => sweeper.stop());
  const serviceApi = await startServiceApi({ config, dataSource, clock, sessions, terminator, auditLog, outbox: endingOutbox, logger });
  lifecycle.onDispose('security event delivery', () => serviceApi.stop());
  // Endings published while this instance could not hear the bus never arrive: look for them once it hears again.
  lifecycle.onDispose(
    'reconcile on bus resume',
    bus.onResumed(() => void sweeper.reconcile()),
  );

  return { auditLog, sessions, terminator, twoFactor, stepUp, passwords, alerts, ownership, auth, sweeper, serviceApi };
}

/** The GraphQL schema, its resolvers bound to the domain services. */
export function buildSchema({ auth, ownership, sessions, terminator, stepUp, passwords, twoFactor, alerts, auditLog }: DomainServices) {
  return buildGraphqlSchema(
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
}
