import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RequestHandler, Response } from 'express';
import type { WebSocketServer } from 'ws';
import { requestScope, type Logger } from '../common/logger';

/** What the access log line tells about one HTTP request, filled in as the request goes through. */
export interface RequestTrace {
  requestId: string;
  /** The schema's root field the operation asked for (see operationMetrics). */
  operation?: string;
  /** The client's own operationName, shortened. */
  operationName?: string;
  outcome?: string;
}

/** A proxy's or client's id is kept when it is short and plain; anything else is replaced by our own. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

function requestIdOf(header: unknown): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** The trace `requestLog` attached to this response. */
export function traceOf(res: Response): RequestTrace | undefined {
  return res.locals.trace as RequestTrace | undefined;
}

/**
 * First handler of the app: gives every request an id (a sane incoming X-Request-Id, or a new
 * one), echoes it in the response's X-Request-Id, and logs one line when the response is done:
 * method, path (never the query string: email links carry tokens there), status, duration,
 * operation and request id. Never a header or the body.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const trace: RequestTrace = { requestId: requestIdOf(req.headers['x-request-id']) };
    res.locals.trace = trace;
    res.setHeader('X-Request-Id', trace.requestId);
    const started = performance.now();
    const method = req.method;
    const path = req.path;
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      logger.info(
        {
          requestId: trace.requestId,
          method,
          path,
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 10) / 10,
          ...(trace.operation ? { operation: trace.operation, operationName: trace.operationName, outcome: trace.outcome } : {}),
          ...(res.writableFinished ? {} : { aborted: true }),
        },
        'request',
      );
    };
    res.once('finish', done);
    res.once('close', done);
    requestScope.run({ requestId: trace.requestId }, next);
  };
}

/**
 * WebSockets get a request id too (from the upgrade request, echoed in its X-Request-Id), and a
 * line when they open and close: at debug, since every signed-in device may hold one.
 */
export function logSockets(server: WebSocketServer, logger: Logger): void {
  const ids = new WeakMap<IncomingMessage, string>();
  const idOf = (req: IncomingMessage) => {
    let id = ids.get(req);
    if (!id) ids.set(req, (id = requestIdOf(req.headers['x-request-id'])));
    return id;
  };
  server.on('headers', (headers, req) => headers.push(`X-Request-Id: ${idOf(req)}`));
  server.on('connection', (socket, req) => {
    const requestId = idOf(req);
    const opened = performance.now();
    logger.debug({ requestId, path: req.url?.split('?')[0] }, 'socket opened');
    socket.once('close', (code: number, reason: Buffer) =>
      logger.debug({ requestId, closeCode: code, reason: reason.toString('utf8').slice(0, 64), seconds: Math.round(performance.now() - opened) / 1000 }, 'socket closed'),
    );
  });
}
