import type { Logger } from './common/logger';

export type Cleanup = () => Promise<unknown> | void;

/**
 * What one instance has started, to be stopped in the reverse order: each builder registers the
 * cleanup of what it started right after starting it, so a start-up that fails half-way stops
 * exactly what is running.
 */
export class Lifecycle {
  private readonly cleanups: Cleanup[] = [];
  private disposing?: Promise<void>;

  constructor(private readonly logger: Logger) {}

  /** Runs `cleanup` on dispose, before everything registered earlier. */
  onDispose(cleanup: Cleanup): void {
    this.cleanups.push(cleanup);
  }

  /**
   * Once: a second call (a second signal, a test's afterAll) waits for the first instead of re-running it.
   * A cleanup whose promise rejects is logged and the next one still runs.
   */
  dispose(): Promise<void> {
    return (this.disposing ??= (async () => {
      for (const cleanup of this.cleanups.reverse()) {
        await Promise.resolve(cleanup()).catch((err) => this.logger.warn({ err }, 'error during shutdown'));
      }
    })());
  }
}
