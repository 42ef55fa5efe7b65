import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import { serveCommands } from './commands';

/**
 * The throughput baseline: the same HTTP stack as src/server.ts (express 5, cors, express.json,
 * Apollo Server 5 through @as-integrations/express5), answering a constant. Whatever the
 * `sessions` query costs beyond this is ours: token check, database, resolvers, serialisation.
 */
async function main(): Promise<void> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const apollo = new ApolloServer({
    typeDefs: 'type Query { hello: String! }',
    resolvers: { Query: { hello: () => 'world' } },
    includeStacktraceInErrorResponses: false,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();
  app.use('/graphql', cors<cors.CorsRequest>(), express.json({ limit: '64kb' }), expressMiddleware(apollo, { context: async () => ({}) }));
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  serveCommands({ url: `http://127.0.0.1:${port}/graphql`, port }, {}, () => apollo.stop());
}

main().catch((err: unknown) => {
  console.error('bare Apollo server failed to start:', err);
  process.exit(1);
});
