import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { HttpRequestContext } from '../http/graphql-status';
import { outcomeOf, type Metrics } from './metrics';

/** Before an operation is known (a document that does not parse or validate). */
export const UNKNOWN_OPERATION = '(invalid)';

/**
 * The schema field an operation starts at ("login", "sessions"): a bounded label, unlike the
 * client's operationName. After validation every root field exists in the schema.
 */
export function rootFieldOf(operation: OperationDefinitionNode | undefined): string {
  const first = operation?.selectionSet.selections[0];
  if (!first) return UNKNOWN_OPERATION;
  return first.kind === Kind.FIELD ? first.name.value : '(fragment)';
}

export function operationIn(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
}

/** Counts every HTTP operation by root field and outcome, and tells the access log which one it was. */
export function operationMetrics(metrics: Metrics): ApolloServerPlugin<HttpRequestContext> {
  return {
    async requestDidStart() {
      let type = 'unknown';
      let operation = UNKNOWN_OPERATION;
      return {
        async didResolveOperation({ operation: resolved }) {
          type = resolved?.operation ?? type;
          operation = rootFieldOf(resolved);
        },
        async willSendResponse({ response, contextValue, request }) {
          // The errors as the client sees them: masked, with our codes.
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const outcome = outcomeOf(errors.map((error) => error.extensions?.code));
          metrics.operation('http', type, operation, outcome);
          const trace = contextValue.trace;
          if (trace) Object.assign(trace, { operation, operationName: request.operationName?.slice(0, 64), outcome });
        },
      };
    },
  };
}
