import type { Logger } from './common/logger';

export type Cleanup = () => Promise<unknown> | void;

/** A stop step slower than this is logged by name, so a shutdown that runs out of time says what held it. */
const SLOW_STEP_MS = 250;

/**
 * What one instance has started, to be stopped in the reverse order: each builder registers the
 * cleanup of what it started right after starting it, so a start-up that fails half-way stops
 * exactly what is running.
 */
export class Lifecycle {
  private readonly cleanups: { name: string; cleanup: Cleanup }[] = [];
  private disposing?: Promise<void>;

  constructor(private readonly logger: Logger) {}

  /** Runs `cleanup` on dispose, before everything registered earlier; `name` is what logs call it. */
  onDispose(name: string, cleanup: Cleanup): void {
    this.cleanups.push({ name, cleanup });
  }

  /**
   * Once: a second call (a second signal, a test's afterAll) waits for the first instead of re-running it.
   * A cleanup whose promise rejects is logged and the next one still runs.
   */
  dispose(): Promise<void> {
    return (this.disposing ??= (async () => {
      for (const { name, cleanup } of this.cleanups.reverse()) {
        const started = performance.now();
        // A cleanup that throws at once is caught like one that rejects: the next one still runs.
        await Promise.resolve()
          .then(cleanup)
          .catch((err) => this.logger.warn({ err, step: name }, 'error during shutdown'));
        const ms = Math.round(performance.now() - started);
        if (ms >= SLOW_STEP_MS) this.logger.warn({ step: name, ms }, 'slow shutdown step');
      }
    })());
  }
}
