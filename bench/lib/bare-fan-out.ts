import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import WebSocket, { WebSocketServer } from 'ws';
import { mapWithConcurrency } from './concurrency';
import { deferred, waitUntil, within } from './wait';

export interface FanOutTimes {
  /** Per client: ms from PUBLISH to the message arriving. */
  message: number[];
  /** Per client: ms from PUBLISH to its close event. */
  close: number[];
}

/** A size like a sessionTerminated `next` message, so both fan-outs move similar bytes. */
const PAYLOAD = JSON.stringify({ type: 'next', id: 'x', payload: { data: { sessionTerminated: { padding: 'x'.repeat(300) } } } });

interface BareInstance {
  httpServer: Server;
  wsServer: WebSocketServer;
  subscriber: Redis;
  port: number;
}

/**
 * The floor under revokeOtherSessions' fan-out: `instances` plain `ws` servers, each listening
 * to one Redis channel; one PUBLISH makes every server send a message to each of its sockets and
 * close it with 4401 once sent, as SessionEventHub does. No GraphQL, no database.
 */
export async function measureBareFanOut(options: { redisUrl: string; channel: string; clients: number; instances: number; localAddresses: string[] }): Promise<FanOutTimes> {
  const instances: BareInstance[] = [];
  const sockets: WebSocket[] = [];
  const publisher = new Redis(options.redisUrl, { lazyConnect: true });
  try {
    await publisher.connect();
    for (let i = 0; i < options.instances; i++) instances.push(await startBareInstance(options.redisUrl, options.channel));

    const timings = await mapWithConcurrency(
      Array.from({ length: options.clients }, (_, i) => i),
      50,
      async (i) => {
        const instance = instances[i % instances.length] as BareInstance;
        const socket = new WebSocket(`ws://127.0.0.1:${instance.port}/`, { localAddress: options.localAddresses[i % options.localAddresses.length] });
        sockets.push(socket);
        const message = deferred<number>();
        const closed = deferred<number>();
        socket.once('message', () => message.resolve(performance.now()));
        socket.once('close', () => closed.resolve(performance.now()));
        await within(new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject)), 10_000, 'a bare socket to open');
        return { message: message.promise, closed: closed.promise };
      },
    );
    const connected = () => instances.reduce((sum, instance) => sum + instance.wsServer.clients.size, 0);
    await waitUntil(() => connected() >= options.clients, 'bare sockets to be accepted', 10_000);

    const publishedAt = performance.now();
    await publisher.publish(options.channel, PAYLOAD);
    const messages = await within(Promise.all(timings.map((t) => t.message)), 30_000, 'every bare client to get its message');
    const closes = await within(Promise.all(timings.map((t) => t.closed)), 30_000, 'every bare socket to close');
    return { message: messages.map((at) => at - publishedAt), close: closes.map((at) => at - publishedAt) };
  } finally {
    for (const socket of sockets) socket.terminate();
    for (const instance of instances) await stopBareInstance(instance);
    await publisher.quit();
  }
}

async function startBareInstance(redisUrl: string, channel: string): Promise<BareInstance> {
  const httpServer = createServer();
  const wsServer = new WebSocketServer({ server: httpServer });
  const subscriber = new Redis(redisUrl, { lazyConnect: true });
  await subscriber.connect();
  await subscriber.subscribe(channel);
  subscriber.on('message', (_channel: string, message: string) => {
    for (const socket of wsServer.clients) socket.send(message, () => socket.close(4401, 'Session terminated'));
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', () => resolve()));
  return { httpServer, wsServer, subscriber, port: (httpServer.address() as AddressInfo).port };
}

async function stopBareInstance(instance: BareInstance): Promise<void> {
  await instance.subscriber.quit();
  await new Promise<void>((resolve) => instance.wsServer.close(() => resolve()));
  await new Promise<void>((resolve) => instance.httpServer.close(() => resolve()));
}
