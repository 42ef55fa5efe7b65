import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { ServiceScope } from '../service-clients/service-client.entity';
import type { ServiceClients, ServicePrincipal } from '../service-clients/service-clients.service';
import { requireScope } from '../service-clients/service-auth';
import type { SetSigner } from './ssf-keys.service';
import { DELIVERY_METHODS, SsfRequestError, type SsfStreams } from './ssf-streams.service';

/** How long a poll with returnImmediately: false waits for an event. */
const LONG_POLL_MS = 10_000;

/**
 * The SSF 1.0 transmitter's HTTP surface: discovery (/.well-known/ssf-configuration), the JWKS,
 * stream management (/ssf/streams, /ssf/status, /ssf/verify), RFC 8936 polling (/ssf/poll/:id),
 * and each stream's delivery log (/ssf/deliveries). Every endpoint but discovery and the JWKS
 * takes a service client's Bearer access token: reads need ssf.read (or ssf.manage), changes ssf.manage.
 */
export function mountSsf(app: Express, deps: { clients: ServiceClients; streams: SsfStreams; keys: SetSigner; issuer: string }): void {
  const { clients, streams, keys, issuer } = deps;
  const json = express.json({ limit: '64kb' });
  const read = requireScope(clients, ServiceScope.SSF_READ, ServiceScope.SSF_MANAGE);
  const manage = requireScope(clients, ServiceScope.SSF_MANAGE);
  const principal = (res: Response) => res.locals.principal as ServicePrincipal;
  const body = (req: Request) => (req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {});
  const handle =
    (work: (req: Request, res: Response) => Promise<unknown>, status = 200) =>
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        const result = await work(req, res);
        res.set('Cache-Control', 'no-store');
        if (result === undefined) res.status(204).end();
        else res.status(status).json(result);
      } catch (err) {
        if (err instanceof SsfRequestError) res.status(err.status).json({ error: err.error, error_description: err.message });
        else next(err);
      }
    };

  app.get('/.well-known/ssf-configuration', (_req, res) => {
    res.json({
      spec_version: '1_0',
      issuer,
      jwks_uri: `${issuer}/ssf/jwks`,
      delivery_methods_supported: DELIVERY_METHODS,
      configuration_endpoint: `${issuer}/ssf/streams`,
      status_endpoint: `${issuer}/ssf/status`,
      verification_endpoint: `${issuer}/ssf/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      default_subjects: 'ALL',
    });
  });
  app.get('/ssf/jwks', (_req, res, next) => {
    keys.jwks().then((jwks) => res.set('Cache-Control', 'public, max-age=300').json(jwks), next);
  });

  app.post(
    '/ssf/streams',
    manage,
    json,
    handle((req, res) => streams.create(principal(res), body(req)), 201),
  );
  app.get(
    '/ssf/streams',
    read,
    handle((req, res) => (req.query.stream_id === undefined ? streams.list(principal(res)) : streams.read(principal(res), req.query.stream_id))),
  );
  app.patch(
    '/ssf/streams',
    manage,
    json,
    handle((req, res) => streams.update(principal(res), body(req), false)),
  );
  app.put(
    '/ssf/streams',
    manage,
    json,
    handle((req, res) => streams.update(principal(res), body(req), true)),
  );
  app.delete(
    '/ssf/streams',
    manage,
    handle((req, res) => streams.remove(principal(res), req.query.stream_id)),
  );

  app.get(
    '/ssf/status',
    read,
    handle((req, res) => streams.status(principal(res), req.query.stream_id)),
  );
  app.post(
    '/ssf/status',
    manage,
    json,
    handle((req, res) => streams.setStatus(principal(res), body(req))),
  );
  app.post(
    '/ssf/verify',
    manage,
    json,
    handle((req, res) => streams.requestVerification(principal(res), body(req))),
  );
  app.post(
    '/ssf/poll/:streamId',
    read,
    json,
    handle((req, res) => streams.poll(principal(res), String(req.params.streamId), body(req), LONG_POLL_MS)),
  );
  app.get(
    '/ssf/deliveries',
    read,
    handle((req, res) => streams.deliveries(principal(res), req.query.stream_id, Number(req.query.limit ?? 100) || 100)),
  );
}
