import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { createQueryLimits } from '../common/query-limits';
import type { Metrics } from '../observability/metrics';
import { operationMetrics } from '../observability/operation-metrics';
import { graphqlOverHttpStatus, type HttpRequestContext } from './graphql-status';

/**
 * GraphQL over HTTP, started. Its stop drains `httpServer` (in-flight requests get most of the
 * shutdown budget) and, through `drainSockets`, the graphql-ws server on the same port.
 */
export async function startApollo(deps: {
  schema: GraphQLSchema;
  limits: ReturnType<typeof createQueryLimits>;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  metrics: Metrics;
  httpServer: Server;
  shutdownTimeoutSeconds: number;
  drainSockets: () => Promise<void>;
}): Promise<ApolloServer<HttpRequestContext>> {
  const { schema, limits, httpServer } = deps;
  const apollo = new ApolloServer<HttpRequestContext>({
    schema,
    // main owns SIGTERM/SIGINT (src/shutdown.ts); Apollo's handlers would stop it a second time, which never resolves.
    stopOnTerminationSignals: false,
    formatError: deps.formatError,
    includeStacktraceInErrorResponses: false,
    // Decided by INTROSPECTION through limits.validationRules, as on WebSocket (Apollo's own default follows NODE_ENV).
    introspection: true,
    parseOptions: limits.parseOptions,
    validationRules: limits.validationRules,
    plugins: [
      ...limits.apolloPlugins,
      graphqlOverHttpStatus(),
      operationMetrics(deps.metrics),
      // In-flight requests get most of the shutdown budget; the rest closes Redis and the database.
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: deps.shutdownTimeoutSeconds * 750 }),
      ApolloServerPluginLandingPageDisabled(),
      // Nothing here is cacheable (per-user data); without this plugin Apollo stops wrapping every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      { serverWillStart: async () => ({ drainServer: deps.drainSockets }) },
    ],
  });
  await apollo.start();
  return apollo;
}
