import { within } from '../../test/support/deferred';

export { deferred, within, type Deferred } from '../../test/support/deferred';

/** Polls `check` every `intervalMs` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Awaits every promise, failing with `what` if they have not all settled within `timeoutMs`. */
export function allWithin<T>(promises: Promise<T>[], timeoutMs: number, what: string): Promise<T[]> {
  return within(Promise.all(promises), timeoutMs, what);
}
