import type { WebSocket } from 'ws';
import { isDatabaseUnavailable } from '../db/outage';
import { CloseCode, CloseReason } from './close-codes';

/**
 * For `.catch` on a socket's token check: when the database cannot answer, the socket is closed
 * with 1013 (graphql-ws clients retry it) and the check yields null; any other error is rethrown.
 * The first close wins (ws ignores later ones), so a caller's own close on null changes nothing,
 * and nothing more is sent on the closing socket.
 */
export function closeIfUnavailable(socket: WebSocket): (err: unknown) => null {
  return (err) => {
    if (!isDatabaseUnavailable(err)) throw err;
    socket.close(CloseCode.TryAgainLater, CloseReason.TryAgainLater);
    return null;
  };
}
