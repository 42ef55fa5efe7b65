import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { serveCommands } from './commands';

/**
 * The idle-socket baseline: the `ws` library alone, speaking just enough graphql-transport-ws for
 * the same client to connect and subscribe (ack the init, count the subscribe, keep nothing).
 * What signoff holds per socket beyond this is graphql-ws, our context and our registry.
 */
async function main(): Promise<void> {
  const httpServer = createServer();
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 64 * 1024 });
  let subscriptions = 0;
  wsServer.on('connection', (socket) => {
    socket.on('message', (data) => {
      const type = (JSON.parse(String(data)) as { type?: string }).type;
      if (type === 'connection_init') socket.send('{"type":"connection_ack"}');
      else if (type === 'subscribe') subscriptions++;
      else if (type === 'ping') socket.send('{"type":"pong"}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  serveCommands({ url: `http://127.0.0.1:${port}/graphql`, port }, { counts: () => ({ subscriptions, sockets: wsServer.clients.size }) }, async () => {
    for (const socket of wsServer.clients) socket.terminate();
    await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  });
}

main().catch((err: unknown) => {
  console.error('bare ws server failed to start:', err);
  process.exit(1);
});
