import type { EventEmitter } from 'node:events';

/**
 * The events of one emitter topic as an async iterator, like `events.on()` but with a plain
 * array and one pending promise: `on()` allocates two 2048-slot queues (~35 KiB) per call, which
 * every idle subscribed socket would carry. `once` stops listening after the first event.
 */
export function listenerStream<T>(emitter: EventEmitter, topic: string, options: { once?: boolean } = {}): AsyncIterableIterator<T> {
  const queued: T[] = [];
  let wake: ((value: T | undefined) => void) | undefined;
  let ended = false;
  const listener = (value: T) => {
    if (options.once) emitter.off(topic, listener);
    if (wake) {
      const resolve = wake;
      wake = undefined;
      resolve(value);
    } else queued.push(value);
  };
  emitter.on(topic, listener);
  return {
    async next(): Promise<IteratorResult<T, undefined>> {
      if (queued.length > 0) return { done: false, value: queued.shift() as T };
      if (ended) return { done: true, value: undefined };
      const value = await new Promise<T | undefined>((resolve) => (wake = resolve));
      return value === undefined ? { done: true, value: undefined } : { done: false, value };
    },
    async return(): Promise<IteratorReturnResult<undefined>> {
      ended = true;
      queued.length = 0;
      emitter.off(topic, listener);
      wake?.(undefined);
      wake = undefined;
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
