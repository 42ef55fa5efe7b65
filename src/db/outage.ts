import { ServiceUnavailableError } from '../common/errors';

/**
 * Telling a database outage (unreachable, silent, overloaded, shutting down) from a bug: the first
 * answers SERVICE_UNAVAILABLE and WebSocket close 1013 (try again), the second stays an internal error.
 */

/** Node socket errors of a store that cannot be reached. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs of a database that cannot serve right now (https://www.postgresql.org/docs/current/errcodes-appendix.html):
 * class 08 connection exceptions, shutdown and start-up, too many connections, and our own timeouts
 * (statement_timeout, lock_timeout, idle_in_transaction_session_timeout).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '55P03', '25P03']);

/** What node-postgres and pg-pool say when a connection or a query got no answer in time, or the connection died. */
const DRIVER_MESSAGES = [
  'Query read timeout',
  'timeout expired',
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

/** The start-up could not reach the database in time; the message names it (the URL without its password). */
export class DatabaseUnavailableError extends Error {}

/** Whether `err` (or the driver error it wraps) means the database could not answer, rather than a bad query. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let depth = 0, current: unknown = err; current && depth < 5; depth++) {
    if (current instanceof DatabaseUnavailableError || current instanceof ServiceUnavailableError) return true;
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || code === 'SQLITE_BUSY')) return true;
    if (typeof message === 'string' && DRIVER_MESSAGES.some((known) => message.startsWith(known))) return true;
    // TypeORM's QueryFailedError keeps the driver's error; GraphQL and Error causes wrap others.
    const wrapper = current as { driverError?: unknown; originalError?: unknown; cause?: unknown };
    current = wrapper.driverError ?? wrapper.originalError ?? wrapper.cause;
  }
  return false;
}

/** A database URL for messages: never its password. */
export function redactedDatabaseUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** For `.catch`: a database outage becomes ServiceUnavailableError; anything else is rethrown as it is. */
export function rethrowAsUnavailable(err: unknown): never {
  throw isDatabaseUnavailable(err) ? new ServiceUnavailableError() : err;
}
