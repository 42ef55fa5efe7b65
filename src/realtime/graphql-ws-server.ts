import type { IncomingMessage } from 'node:http';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocket, type WebSocketServer } from 'ws';
import { bearerToken } from '../api/context';
import { ErrorCode, RateLimitedError } from '../common/errors';
import type { createQueryLimits } from '../common/query-limits';
import type { Metrics } from '../observability/metrics';
import { operationIn, rootFieldOf, UNKNOWN_OPERATION } from '../observability/operation-metrics';
import { CloseCode, CloseReason } from './close-codes';
import { createDocumentCache } from './document-cache';
import type { SocketLimits } from './socket-limits';
import { closeIfUnavailable } from './unavailable';

type SocketExtra = {
  socket: WebSocket;
  request: IncomingMessage;
  /** The bearer token the socket connected with, once it passed the check. */
  token?: string;
};

/** The token check a socket goes through (SessionService's: the one check for HTTP and WebSocket). */
interface SocketAuthentication {
  /** Read before `authenticate`, then passed to `stillLive`. */
  readonly cacheEpoch: number;
  authenticate(token: string | undefined): Promise<{ id: string } | null>;
  stillLive(sessionId: string, epoch: number): Promise<boolean>;
}

export interface GraphqlWsDeps {
  schema: GraphQLSchema;
  limits: ReturnType<typeof createQueryLimits>;
  sessions: SocketAuthentication;
  socketLimits: SocketLimits;
  metrics: Metrics;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /**
   * What resolvers see for one operation on the socket; `onUnavailable` turns a token check the
   * database could not answer into a 1013 close (and a null viewer).
   */
  context: (request: IncomingMessage, token: string | undefined, onUnavailable: (err: unknown) => null) => Promise<object>;
}

/**
 * graphql-ws over `wsServer`. A socket is accepted once its token names a live session and it fits
 * the socket caps; each operation is checked against the per-socket operation cap and the query
 * limits (each distinct document parsed and validated once), and its token is checked again, as on
 * HTTP. Returns what stops it (closing every socket), for the HTTP server's drain.
 */
export function serveGraphqlOverWebSocket(wsServer: WebSocketServer, deps: GraphqlWsDeps): { dispose(): Promise<void> } {
  const { schema, limits, sessions, socketLimits, metrics, formatError } = deps;
  // Before useServer: sockets over the per-IP cap are closed before graphql-ws reads them.
  socketLimits.watch(wsServer);
  const documents = createDocumentCache(schema, limits.validate, limits.parseOptions);
  const handle = useServer<Record<string, unknown>, SocketExtra>(
    {
      schema,
      onConnect: async (ctx) => {
        // Refused by a cap, or the client already left.
        if (ctx.extra.socket.readyState !== WebSocket.OPEN) return false;
        const token = bearerToken(ctx.connectionParams?.authorization);
        const epoch = sessions.cacheEpoch;
        const session = await sessions.authenticate(token).catch(closeIfUnavailable(ctx.extra.socket));
        if (!session) {
          ctx.extra.socket.close(CloseCode.Unauthorized, CloseReason.Unauthorized);
          return false;
        }
        ctx.extra.token = token;
        // Over the session's cap, or closed during the check (it would never leave the registry).
        if (!socketLimits.register(session.id, ctx.extra.socket)) return false;
        // An ending that committed between the check and the registration would have found no socket to close.
        if (!(await sessions.stillLive(session.id, epoch).catch(closeIfUnavailable(ctx.extra.socket)))) {
          ctx.extra.socket.close(CloseCode.Unauthorized, CloseReason.SessionTerminated);
          return false;
        }
        return true;
      },
      // Parsed and validated (with the query limits) once per distinct document, not once per socket.
      onSubscribe: (ctx, _id, payload) => {
        // graphql-ws lists the new operation in ctx.subscriptions before calling this.
        if (!socketLimits.admitOperation(ctx.extra.socket, Object.keys(ctx.subscriptions).length)) return [new RateLimitedError(1)];
        const document = documents(payload.query);
        if (!('kind' in document)) {
          metrics.operation('ws', 'unknown', UNKNOWN_OPERATION, ErrorCode.BAD_USER_INPUT);
          return [...document];
        }
        const operation = operationIn(document, payload.operationName);
        metrics.operation('ws', operation?.operation ?? 'unknown', rootFieldOf(operation), 'OK');
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
      },
      // The token is checked again for every operation, as on HTTP.
      context: (ctx) => deps.context(ctx.extra.request, ctx.extra.token, closeIfUnavailable(ctx.extra.socket)),
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) } : undefined),
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error.toJSON(), error)),
    },
    wsServer,
  );
  return { dispose: async () => void (await handle.dispose()) };
}
