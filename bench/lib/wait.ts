import { within } from '../../test/support/deferred';

// waitUntil polls every `intervalMs` until `check` holds, failing with `what` after `timeoutMs`.
export { deferred, within, until as waitUntil, type Deferred } from '../../test/support/deferred';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Awaits every promise, failing with `what` if they have not all settled within `timeoutMs`. */
export function allWithin<T>(promises: Promise<T>[], timeoutMs: number, what: string): Promise<T[]> {
  return within(Promise.all(promises), timeoutMs, what);
}
