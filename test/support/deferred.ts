/** A promise with its resolve/reject exposed: tests wait on events instead of sleeping. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Rejects with `what` if `promise` has not settled within `ms`: a hung wait fails with a clear message. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `condition` (every `everyMs`) until it holds; fails naming `what` after `ms`. For state that no
 * event announces (counts in a registry, Redis's subscriber count); where an event exists, await it.
 */
export async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * How long a test watches for something that must NOT happen (an event to a device that keeps its
 * session, a socket that must stay open). Absence announces nothing, so this is the suite's one
 * deliberate wait: every other wait awaits an event or a condition. An event that does happen
 * arrives in a few ms on loopback, so 200 ms catches a wrong one with room to spare.
 */
const QUIET_PERIOD_MS = 200;

/** Waits QUIET_PERIOD_MS, then resolves with `value` (for `Promise.race` against an event that must not come). */
export function quietPeriod<T = void>(value?: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value as T), QUIET_PERIOD_MS));
}
