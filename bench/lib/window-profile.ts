import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/** Where window profiles go: $BENCH_PROFILE_DIR, or nowhere (profiling off). */
export function profileDir(): string | undefined {
  return process.env.BENCH_PROFILE_DIR || undefined;
}

/**
 * A CPU profile of this process over chosen windows only (the load rounds, a fan-out from the
 * mutation's send to the last close), without start-up or seeding. Each `stop` writes
 * <dir>/<name>.cpuprofile; summarise it with lib/profile-summary.ts.
 */
export class WindowProfiler {
  private session?: Session;

  async start(): Promise<void> {
    if (this.session) return;
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 250 });
    await session.post('Profiler.start');
    this.session = session;
  }

  async stop(dir: string, name: string): Promise<string | undefined> {
    const session = this.session;
    if (!session) return undefined;
    this.session = undefined;
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    return file;
  }
}

/** Runs `body` under a profile of this process when BENCH_PROFILE_DIR is set; otherwise just runs it. */
export async function profileWindow<T>(name: string, body: () => Promise<T>): Promise<T> {
  const dir = profileDir();
  if (!dir) return body();
  const profiler = new WindowProfiler();
  await profiler.start();
  try {
    return await body();
  } finally {
    await profiler.stop(dir, name);
  }
}
