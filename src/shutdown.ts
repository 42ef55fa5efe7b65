import type { Logger } from './common/logger';

/** Exit codes main leaves with, besides 0 for a clean stop. */
export enum ExitCode {
  /** Start-up failed, or shutdown was cut short (a second signal, or SHUTDOWN_TIMEOUT_SECONDS passed). */
  Failure = 1,
}

export interface ShutdownOptions {
  /** The whole graceful stop must fit in this; past it the process exits anyway. */
  timeoutMs: number;
  logger: Logger;
  /** process.exit, replaceable for tests of the policy itself. */
  exit?: (code: number) => never;
}

/**
 * We own SIGTERM and SIGINT (Apollo's own handlers are off): the first one stops gracefully
 * (the server stops accepting, closes WebSockets with 1001, finishes in-flight requests, closes
 * its pools) and exits 0; a second one, or the timeout, exits at once with ExitCode.Failure.
 */
export function exitOnTerminationSignals(stop: () => Promise<void>, options: ShutdownOptions): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.logger.warn({ signal }, 'second signal: exiting without waiting');
      exit(ExitCode.Failure);
    }
    stopping = true;
    options.logger.info({ signal, timeoutMs: options.timeoutMs }, 'shutting down');
    // Unref'd: a stop that finishes early must not wait for the timer.
    setTimeout(() => {
      options.logger.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out: exiting without waiting');
      exit(ExitCode.Failure);
    }, options.timeoutMs).unref();
    stop().then(
      () => {
        options.logger.info('stopped');
        exit(0);
      },
      (err: unknown) => {
        options.logger.error({ err }, 'shutdown failed');
        exit(ExitCode.Failure);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
