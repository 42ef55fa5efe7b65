// waitUntil polls every `intervalMs` until `check` holds, failing with `what` after `timeoutMs`.
export { deferred, within, until as waitUntil, type Deferred } from '../../test/support/deferred';
