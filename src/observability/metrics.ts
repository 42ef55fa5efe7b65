import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ErrorCode } from '../common/errors';

/** How an operation ended, as a bounded label: OK or one of our error codes. */
export type Outcome = 'OK' | ErrorCode;

export function outcomeOf(codes: readonly unknown[]): Outcome {
  if (codes.length === 0) return 'OK';
  const first = codes[0];
  return Object.values(ErrorCode).includes(first as ErrorCode) ? (first as ErrorCode) : ErrorCode.INTERNAL_SERVER_ERROR;
}

/**
 * This instance's Prometheus metrics (GET /metrics). Every label comes from a small fixed set
 * (schema field names, error codes, termination reasons, limiter names): never an email, id, IP,
 * token or client-chosen operation name, so the series stay bounded and reveal nothing personal.
 * A registry per instance, so several instances in one process (tests) never share counters.
 */
export class Metrics {
  readonly registry = new Registry();

  private readonly operations = new Counter({
    name: 'signoff_graphql_operations_total',
    help: 'GraphQL operations by transport, type, root field and outcome (OK or the error code).',
    labelNames: ['transport', 'type', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly sessionsEnded = new Counter({
    name: 'signoff_sessions_ended_total',
    help: 'Sessions this instance ended, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly revocationToClose = new Histogram({
    name: 'signoff_revocation_to_close_seconds',
    help: 'From a session ending (database time of the ending) to its sockets on this instance being closed with 4401, after sessionTerminated was delivered.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  private readonly rateLimited = new Counter({
    name: 'signoff_rate_limit_rejections_total',
    help: 'Requests refused with RATE_LIMITED, by limiter.',
    labelNames: ['limiter'] as const,
    registers: [this.registry],
  });

  constructor(openSockets: () => number) {
    new Gauge({
      name: 'signoff_websocket_sockets_open',
      help: 'Authenticated WebSockets open on this instance.',
      registers: [this.registry],
      collect() {
        this.set(openSockets());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  operation(transport: 'http' | 'ws', type: string, operation: string, outcome: Outcome): void {
    this.operations.inc({ transport, type, operation, outcome });
  }

  ended(reason: string, count: number): void {
    if (count > 0) this.sessionsEnded.inc({ reason }, count);
  }

  socketsClosedAfter(seconds: number): void {
    this.revocationToClose.observe(Math.max(0, seconds));
  }

  rateLimitRejected(limiter: string): void {
    this.rateLimited.inc({ limiter });
  }
}
