import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isDatabaseUnavailable } from '../db/outage';
import { ErrorCode, ServiceUnavailableError, SignoffError } from '../common/errors';
import type { Logger } from '../common/logger';

/**
 * The one place that decides what an error looks like on the wire, for HTTP and WebSocket alike.
 * Our own errors pass through; a malformed request (parse, validation, variable coercion: graphql-js
 * raises those itself, before any resolver runs) becomes BAD_USER_INPUT; anything else is logged
 * and replaced, so no stack, SQL or driver message ever reaches a client. A database that cannot
 * answer (down, silent, timed out) is SERVICE_UNAVAILABLE: the client may retry, nothing is wrong with its request.
 */
export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof SignoffError) {
      // `http` (a status for Apollo) is for the transport, not the client.
      const { http: _status, ...extensions } = original.extensions;
      return { message: original.message, locations: formatted.locations, path: formatted.path, extensions };
    }
    if (isDatabaseUnavailable(original)) {
      logger.warn({ err: original }, 'the database did not answer');
      const unavailable = new ServiceUnavailableError();
      return { message: unavailable.message, path: formatted.path, extensions: { code: unavailable.code } };
    }
    const raisedBeforeExecution = error instanceof GraphQLError && !error.path && (!error.originalError || error.originalError instanceof GraphQLError);
    if (raisedBeforeExecution) {
      return { message: formatted.message, locations: formatted.locations, extensions: { code: ErrorCode.BAD_USER_INPUT } };
    }
    logger.error({ err: original }, 'unexpected error while resolving');
    return {
      message: 'Something went wrong on our side. Please try again.',
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}
