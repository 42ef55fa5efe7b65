import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { bearerToken } from '../api/context';
import type { Metrics } from './metrics';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** GET /metrics in Prometheus' text format; with METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`. */
export function metricsEndpoint(metrics: Metrics, token: string | undefined): RequestHandler {
  const expected = token ? digest(token) : undefined;
  return async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (expected) {
      const given = bearerToken(req.headers.authorization);
      // Digests have one length, so the comparison takes the same time whatever was sent.
      if (!given || !timingSafeEqual(digest(given), expected)) {
        res.set('WWW-Authenticate', 'Bearer realm="metrics"').status(401).type('text/plain').send('Unauthorized\n');
        return;
      }
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}
