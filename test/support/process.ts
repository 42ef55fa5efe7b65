import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { deferred } from './deferred';

const ROOT = join(__dirname, '..', '..');

export interface ServiceProcess {
  child: ChildProcessWithoutNullStreams;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Settles when the process has exited, with its code (null when a signal killed it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the GraphQL URL once the process prints it; rejects if it exits first. */
  serving: Promise<string>;
  /** Resolves once stdout or stderr contains `text` (at once if it already does). */
  printed(text: string): Promise<void>;
}

/**
 * Runs `src/main.ts` as the real process does in production (swc-registered, NODE_ENV unset,
 * only the given variables), so Apollo's and our own signal handling are the real ones.
 */
export function spawnService(env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['-r', '@swc/register', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  const watchers: { text: string; resolve(): void }[] = [];
  const checkWatchers = () => {
    for (const watcher of watchers.splice(0)) {
      if (stdout.includes(watcher.text) || stderr.includes(watcher.text)) watcher.resolve();
      else watchers.push(watcher);
    }
  };
  const printed = (text: string) => {
    const seen = deferred<void>();
    watchers.push({ text, resolve: () => seen.resolve() });
    checkWatchers();
    return seen.promise;
  };
  const exited = deferred<{ code: number | null; signal: NodeJS.Signals | null }>();
  const serving = deferred<string>();
  serving.promise.catch(() => undefined);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    checkWatchers();
    const url = /serving GraphQL at (\S+)/.exec(stdout)?.[1];
    if (url) serving.resolve(url);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    checkWatchers();
  });
  child.on('exit', (code, signal) => {
    serving.reject(new Error(`exited (${code ?? signal}) before serving:\n${stderr}`));
    exited.resolve({ code, signal });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited: exited.promise, serving: serving.promise, printed };
}

/** A TCP listener that only counts the connections it receives, and drops them: proof that nothing dialled a store. */
export async function countingListener(): Promise<{ url(scheme: string): string; connections(): number; close(): Promise<void> }> {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: (scheme) => `${scheme}://user:hunter2@127.0.0.1:${port}/db`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
