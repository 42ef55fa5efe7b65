import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { ErrorCode } from '../common/errors';
import type { Logger } from '../common/logger';
import { traceOf } from './request-log';

/**
 * Errors that happen before GraphQL sees a request (body parser, size limit, content type,
 * method, unknown path) answer the way GraphQL errors do, `{ errors: [{ message, extensions:
 * { code } }] }`, with the HTTP status that fits, and are logged without the body: a malformed
 * body is often a login whose password must not end up in the logs.
 */

/** The two media types of the GraphQL-over-HTTP spec; `application/json` unless the client prefers the other. */
export const GRAPHQL_RESPONSE_TYPES = ['application/json', 'application/graphql-response+json'] as const;

export function responseTypeFor(req: Request): (typeof GRAPHQL_RESPONSE_TYPES)[number] {
  const accepted = req.accepts([...GRAPHQL_RESPONSE_TYPES]);
  return accepted === 'application/graphql-response+json' ? accepted : 'application/json';
}

function sendError(req: Request, res: Response, status: number, message: string, code: ErrorCode): void {
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .type(responseTypeFor(req))
    .send(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/** body-parser's error types, as a client should read them; anything else is our fault. */
const BODY_ERRORS: Record<string, { status: number; message: string }> = {
  'entity.parse.failed': { status: 400, message: 'The request body is not valid JSON.' },
  'entity.too.large': { status: 413, message: 'The request body is too large.' },
  'request.size.invalid': { status: 400, message: 'The request body does not match its Content-Length.' },
  'request.aborted': { status: 400, message: 'The request body was cut short.' },
  'charset.unsupported': { status: 415, message: 'Send the request body as UTF-8.' },
  'encoding.unsupported': { status: 415, message: 'Unsupported Content-Encoding.' },
};

/**
 * For the GraphQL path, in front of the body parser: GET and POST only (CORS preflights are
 * answered before this), and a POST body must be JSON. Refusing other content types here also
 * keeps browsers' cross-site "simple" requests (text/plain, forms) away from GraphQL.
 */
export function graphqlRequestGuard(): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.set('Allow', 'GET, POST');
      return sendError(req, res, 405, `${req.method} is not supported here: use POST (or GET for queries).`, ErrorCode.BAD_USER_INPUT);
    }
    if (req.method === 'POST' && !req.is('application/json')) {
      return sendError(req, res, 415, 'Send the request body as JSON, with Content-Type: application/json.', ErrorCode.BAD_USER_INPUT);
    }
    next();
  };
}

/** Any path nothing else answered. */
export function notFound(): RequestHandler {
  return (req, res) => sendError(req, res, 404, 'Nothing here: the API is at /graphql.', ErrorCode.BAD_USER_INPUT);
}

/** The last handler: nothing reaches express's own, which answers HTML with a stack trace. */
export function transportErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const type = typeof err === 'object' && err !== null && 'type' in err ? String(err.type) : undefined;
    const known = type ? BODY_ERRORS[type] : undefined;
    // Only the kind of failure and where: the error itself carries the raw body (body-parser's
    // `body`, JSON.parse's message quotes it).
    const where = { requestId: traceOf(res)?.requestId, method: req.method, path: req.path, contentLength: req.headers['content-length'], type };
    if (known) {
      logger.info(where, 'request refused before GraphQL: %s', known.message);
      return sendError(req, res, known.status, known.message, ErrorCode.BAD_USER_INPUT);
    }
    // A body-parser error we do not know still carries the body; our own errors do not.
    logger.error(type ? where : { ...where, err }, 'unexpected error in the HTTP layer');
    sendError(req, res, 500, 'Something went wrong on our side. Please try again.', ErrorCode.INTERNAL_SERVER_ERROR);
  };
}
