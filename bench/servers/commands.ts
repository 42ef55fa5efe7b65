import { WindowProfiler } from '../lib/window-profile';

/**
 * The child side of a benchmark server: it announces where it listens, then answers the parent's
 * commands over the IPC channel. It exits when told to stop or when the parent goes away, so an
 * interrupted benchmark never leaves a server behind.
 */

export interface CommandMessage {
  id: number;
  command: string;
  args?: unknown;
}

export type CommandReply = { id: number; result: unknown } | { id: number; error: string };

export interface ReadyMessage {
  type: 'ready';
  url: string;
  port: number;
}

export type CommandHandlers = Record<string, (args: never) => unknown>;

export interface MemoryFigures {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** Memory after two full collections, so garbage does not count as what the sockets hold. */
export async function settledMemory(): Promise<MemoryFigures> {
  const collect = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 2; i++) {
    collect?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external, arrayBuffers };
}

export function serveCommands(ready: Omit<ReadyMessage, 'type'>, handlers: CommandHandlers, stop: () => Promise<void>): void {
  const send = (message: ReadyMessage | CommandReply, then?: () => void) => process.send?.(message, undefined, {}, () => then?.());
  const profiler = new WindowProfiler();
  const all: Record<string, (args: never) => unknown> = {
    memory: settledMemory,
    cpu: () => process.cpuUsage(),
    // A CPU profile of chosen windows only (not start-up or seeding): the parent brackets its load with these.
    'profile-start': () => profiler.start(),
    'profile-stop': (args: { dir: string; name: string }) => profiler.stop(args.dir, args.name),
    ...handlers,
  };
  let stopping = false;
  const shutDown = async () => {
    if (stopping) return;
    stopping = true;
    await stop().catch((err: unknown) => console.error('benchmark server: error while stopping', err));
  };

  process.on('message', (message: CommandMessage) => {
    void (async () => {
      try {
        if (message.command === 'stop') {
          await shutDown();
          // Disconnecting only once the reply is out; the 'disconnect' handler then exits.
          send({ id: message.id, result: null }, () => process.disconnect());
          return;
        }
        const handler = all[message.command];
        if (!handler) throw new Error(`unknown command ${message.command}`);
        send({ id: message.id, result: await handler(message.args as never) });
      } catch (err) {
        send({ id: message.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      }
    })();
  });
  process.on('disconnect', () => {
    void shutDown().finally(() => process.exit(0));
  });
  send({ type: 'ready', ...ready });
}
