import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode, SignoffError } from './errors';
import type { Logger } from './logger';

/**
 * The one place that decides what an error looks like on the wire, for HTTP and WebSocket alike.
 * Our own errors pass through; a malformed request (parse, validation, variable coercion: graphql-js
 * raises those itself, before any resolver runs) becomes BAD_USER_INPUT; anything else is logged
 * and replaced, so no stack, SQL or driver message ever reaches a client.
 */
export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof SignoffError) {
      return { message: original.message, locations: formatted.locations, path: formatted.path, extensions: original.extensions };
    }
    const raisedBeforeExecution =
      error instanceof GraphQLError && !error.path && (!error.originalError || error.originalError instanceof GraphQLError);
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
