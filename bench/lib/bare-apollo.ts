import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';

export interface BareApollo {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The no-op mutation the revocation floor sends: a mutation's HTTP round trip with no work behind it. */
export const NOOP_MUTATION = 'mutation Noop { noop }';

/**
 * The same HTTP stack as src/server.ts (express 5, cors, express.json, Apollo Server 5 through
 * @as-integrations/express5) answering constants: `{ hello }` (the read baseline) and
 * `mutation { noop }` (the revocation floor). Whatever signoff costs beyond this is ours.
 */
export async function startBareApollo(): Promise<BareApollo> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const apollo = new ApolloServer({
    typeDefs: 'type Query { hello: String! } type Mutation { noop: Boolean! }',
    resolvers: { Query: { hello: () => 'world' }, Mutation: { noop: () => true } },
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
  return { url: `http://127.0.0.1:${port}/graphql`, port, stop: () => apollo.stop() };
}
