import { EventEmitter } from 'node:events';

/**
 * Carries events between every instance of the service (Redis), or within the one process
 * of the embedded default. Events are JSON values: what is published is what arrives, on every
 * implementation, so Dates travel as ISO strings.
 */
export interface EventBus<Event> {
  /** Resolves once the event is handed to the transport for every instance, this one included. */
  publish(event: Event): Promise<void>;
  /** Calls `handler` for every event from any instance; returns the unsubscribe function. */
  subscribe(handler: (event: Event) => void): () => void;
  /**
   * Calls `handler` each time this instance listens again after losing the transport: events
   * published meanwhile never arrived, so whoever relies on them should look at the database.
   */
  onResumed(handler: () => void): () => void;
  close(): Promise<void>;
}

/** Single-process bus: the embedded default without REDIS_URL. */
export class InProcessEventBus<Event> implements EventBus<Event> {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(event: Event): Promise<void> {
    // Same contract as Redis: receivers get a copy, never the publisher's object.
    this.emitter.emit('event', JSON.parse(JSON.stringify(event)) as Event);
  }

  subscribe(handler: (event: Event) => void): () => void {
    this.emitter.on('event', handler);
    return () => this.emitter.off('event', handler);
  }

  /** Never called: an in-process bus cannot lose anything. */
  onResumed(_handler: () => void): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
