import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { isAbsolute, join, relative } from 'node:path';
import type { CommandMessage, CommandReply, MemoryFigures, ReadyMessage } from '../servers/commands';
import { within } from './wait';

const REPO_ROOT = join(__dirname, '..', '..');
const SERVER_SCRIPTS = join(__dirname, '..', 'servers');

/**
 * How a child server runs: `compiled` is what `npm start` runs (tsc's JavaScript in dist/, no
 * compiler in the process); `swc` compiles TypeScript as it loads (@swc/register, as in tests).
 */
export type ServerRuntime = 'compiled' | 'swc';

const compiledCheckouts = new Set<string>();

/**
 * Compiles src/ and bench/servers/ into <checkout>/dist with the build's own settings
 * (bench/tsconfig.build.json extends tsconfig.build.json), once per process and checkout: the
 * src/ part is exactly what `npm run build` emits.
 */
function compileServers(checkout = REPO_ROOT): void {
  if (compiledCheckouts.has(checkout)) return;
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [checkout] }), '-p', join(checkout, 'bench', 'tsconfig.build.json')], {
    cwd: checkout,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  compiledCheckouts.add(checkout);
}

/**
 * A benchmark server in a process of its own: its CPU and memory are then its own, apart from
 * the load generator's. Talks to bench/servers/commands.ts over the IPC channel.
 */
export class ChildServer {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(reason: Error): void }>();
  private readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly port: number,
  ) {
    child.on('message', (reply: CommandReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if ('error' in reply) waiter.reject(new Error(reply.error));
      else waiter.resolve(reply.result);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    void this.exited.then((code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`benchmark server exited (${code})`));
      this.pending.clear();
    });
  }

  /**
   * Starts bench/servers/<script> (or `script` itself when absolute, e.g. a patched copy's; then
   * give its checkout as `cwd`). By default the TypeScript runs under @swc/register (as in tests);
   * `runtime: 'compiled'` (what the benchmarks use) compiles first and runs the JavaScript, like
   * `npm start` (only scripts under bench/servers/ are in that build). `nodeOptions` adds V8/Node flags
   * (--expose-gc for memory figures); BENCH_SERVER_NODE_OPTIONS adds more, e.g. --cpu-prof to profile.
   */
  static async start(
    script: string,
    options: {
      env?: Record<string, string>;
      nodeOptions?: string[];
      timeoutMs?: number;
      /** the checkout the script belongs to */ cwd?: string;
      runtime?: ServerRuntime;
    } = {},
  ): Promise<ChildServer> {
    const extra = (process.env.BENCH_SERVER_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
    const checkout = options.cwd ?? REPO_ROOT;
    const source = isAbsolute(script) ? script : join(SERVER_SCRIPTS, script);
    let entry = source;
    let loader: string[] = ['-r', '@swc/register'];
    if (options.runtime === 'compiled') {
      compileServers(checkout);
      entry = join(checkout, 'dist', relative(checkout, source)).replace(/\.ts$/, '.js');
      loader = [];
    }
    const child = fork(entry, [], {
      cwd: checkout, // @swc/register compiles only files under its working directory
      execArgv: [...loader, ...(options.nodeOptions ?? []), ...extra],
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = new Promise<ReadyMessage>((resolve, reject) => {
      child.on('message', (message: ReadyMessage) => {
        if (message && 'type' in message && message.type === 'ready') resolve(message);
      });
      child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
      child.once('error', reject);
    });
    try {
      const { url, port } = await within(ready, options.timeoutMs ?? 30_000, `${script} to start`);
      return new ChildServer(child, url, port);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }

  request<T>(command: string, args?: unknown, timeoutMs = 120_000): Promise<T> {
    const id = ++this.nextId;
    const message: CommandMessage = { id, command, args };
    const reply = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send(message, (err) => {
        if (err) reject(err);
      });
    });
    return within(reply, timeoutMs, `the benchmark server to answer "${command}"`);
  }

  memory(): Promise<MemoryFigures> {
    return this.request<MemoryFigures>('memory');
  }

  /** Microseconds of CPU the server process has used so far (user + system). */
  async cpuMicros(): Promise<number> {
    const usage = await this.request<NodeJS.CpuUsage>('cpu');
    return usage.user + usage.system;
  }

  /** Asks the server to stop (it drains and closes its stores), then waits for the process to end; kills it if it does not. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      await this.request('stop', undefined, timeoutMs);
      await within(this.exited, timeoutMs, 'the benchmark server to exit');
    } catch {
      this.child.kill('SIGKILL');
      await within(this.exited, 5000, 'the killed benchmark server to exit').catch(() => undefined);
    }
  }
}
