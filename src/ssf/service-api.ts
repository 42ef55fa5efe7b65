import type { Express } from 'express';
import type { DataSource } from 'typeorm';
import { requestPrincipals } from '../admin/request-principals';
import type { AuditLog } from '../audit/audit-log.service';
import type { Logger } from '../common/logger';
import { secretBoxFor } from '../common/secret-box';
import type { Config } from '../config/config';
import type { DatabaseClock } from '../db/clock';
import { mountOAuth } from '../service-clients/oauth-routes';
import { ServiceClients } from '../service-clients/service-clients.service';
import type { SessionTerminator } from '../sessions/session-terminator.service';
import type { SessionService } from '../sessions/session.service';
import { SsfPushDelivery } from './ssf-delivery.service';
import { LazySsfKeys, SsfKeys } from './ssf-keys.service';
import type { EndingOutbox } from './ssf-outbox.service';
import { mountSsf } from './ssf-routes';
import { SsfStreams } from './ssf-streams.service';

export interface ServiceApi {
  clients: ServiceClients;
  keys: LazySsfKeys;
  streams: SsfStreams;
  push: SsfPushDelivery;
  /** The GraphQL context's viewer/admin for a bearer token (the prefix picks the check). */
  principals: ReturnType<typeof requestPrincipals>;
  /** Adds /oauth/*, /.well-known/ssf-configuration and /ssf/* to the app (before its not-found handler). */
  mount(app: Express): void;
  stop(): Promise<void>;
}

/**
 * Everything service clients use: client credentials and introspection (OAuth), the admin
 * surface's principals, and the SSF transmitter (keys, streams, push delivery from the outbox
 * the SessionTerminator writes). The composition root calls this once and mounts the result.
 */
export async function startServiceApi(deps: {
  config: Config;
  dataSource: DataSource;
  clock: DatabaseClock;
  sessions: SessionService;
  terminator: SessionTerminator;
  auditLog: AuditLog;
  outbox: EndingOutbox;
  logger: Logger;
}): Promise<ServiceApi> {
  const { config, dataSource, clock, outbox, logger } = deps;
  const issuer = config.publicUrl;
  const box = secretBoxFor(config);
  const clients = new ServiceClients(dataSource, clock, config.serviceTokenTtlSeconds);
  const keys = new LazySsfKeys(() => SsfKeys.load(dataSource, box, clock.now()));
  // Generated on first start, so every instance signs with the stored key; like the TOTP secrets, a
  // SECRET_KEY that does not open it stops the start.
  await keys.keys();
  const allowPrivateReceivers = config.ssfAllowPrivateReceivers;
  const streams = new SsfStreams(dataSource, clock, box, keys, outbox, { issuer, allowPrivateReceivers });
  const push = new SsfPushDelivery(
    dataSource,
    clock,
    keys,
    streams,
    outbox,
    {
      issuer,
      intervalMs: config.ssfDeliveryIntervalMs,
      retryBaseMs: config.ssfPushRetryBaseMs,
      retryMaxMs: config.ssfPushRetryMaxMs,
      timeoutMs: config.ssfPushTimeoutMs,
      allowPrivateReceivers,
    },
    logger,
  );
  push.start();
  return {
    clients,
    keys,
    streams,
    push,
    principals: requestPrincipals({ dataSource, sessions: deps.sessions, clients, terminator: deps.terminator, auditLog: deps.auditLog }),
    mount(app) {
      mountOAuth(app, { clients, sessions: deps.sessions, issuer, logger });
      mountSsf(app, { clients, streams, keys, issuer });
    },
    stop: () => push.stop(),
  };
}
