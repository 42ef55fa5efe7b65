import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import type { RequestContext } from '../api/context';
import type { RequestTrace } from './request-log';
import type { GRAPHQL_RESPONSE_TYPES } from './transport';

/** The HTTP request's negotiated response type, next to what resolvers see. */
export interface HttpRequestContext extends RequestContext {
  responseType: (typeof GRAPHQL_RESPONSE_TYPES)[number];
  /** What the access log line will say about this request. */
  trace?: RequestTrace;
}

/** Raised while reading the operation, before anything runs: the GraphQL spec's "request errors". */
const REQUEST_ERROR_CODES: ReadonlySet<unknown> = new Set([
  ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
  ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
  ApolloServerErrorCode.BAD_USER_INPUT, // variables that do not coerce
]);

/**
 * Status codes of the GraphQL-over-HTTP spec for a document that does not parse or validate,
 * or variables that do not coerce: 400 with `application/graphql-response+json`, but 200 with
 * `application/json`, whose clients predate the spec and read any non-2xx as a transport failure
 * (https://graphql.github.io/graphql-over-http/draft/#sec-application-json).
 */
export function graphqlOverHttpStatus(): ApolloServerPlugin<HttpRequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, errors, contextValue }) {
          if (response.body.kind !== 'single' || response.body.singleResult.data !== undefined) return;
          if (!errors?.length || !errors.every((error) => REQUEST_ERROR_CODES.has(error.extensions.code))) return;
          response.http.status = contextValue.responseType === 'application/graphql-response+json' ? 400 : 200;
        },
      };
    },
  };
}
