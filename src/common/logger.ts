import { AsyncLocalStorage } from 'node:async_hooks';
import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Never logged, whatever object they turn up in: bearer tokens and headers, passwords, one-time
 * tokens and codes, confirmations, GraphQL variables and graphql-ws connection params (which carry
 * the token). Defence in depth: no log line is meant to carry a request body in the first place.
 * `err.code` (ECONNREFUSED…) stays readable: only a top-level or confirmation `code` is redacted.
 */
const REDACTED_PATHS = [
  'authorization',
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'otp',
  'code',
  'recoveryCode',
  'confirmation',
  'variables',
  'connectionParams',
  'cookie',
  'secret',
  'headers.authorization',
  'headers.cookie',
  ...['authorization', 'password', 'currentPassword', 'newPassword', 'token', 'otp', 'recoveryCode', 'confirmation', 'variables', 'connectionParams', 'secret'].map(
    (key) => `*.${key}`,
  ),
  '*.headers.authorization',
  '*.headers.cookie',
  '*.confirmation.code',
  '*.input.password',
  '*.input.otp',
];

/**
 * The HTTP request being served (set by the request log middleware): every line logged while
 * serving it, or by work it started (an email sent in the background), carries its request id.
 */
export const requestScope = new AsyncLocalStorage<{ requestId: string }>();

/** JSON lines (on stderr unless told otherwise); the platform collects them. */
/** The levels LOG_LEVEL accepts (see config). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export function createLogger(level: LogLevel, destination: pino.DestinationStream = pino.destination(2)): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin: () => {
        const scope = requestScope.getStore();
        return scope ? { requestId: scope.requestId } : {};
      },
    },
    destination,
  );
}
