import type { Redis } from 'ioredis';
import type { Logger } from '../common/logger';
import type { EventBus } from './event-bus';

/**
 * Cross-instance bus over one Redis pub/sub channel. Every instance receives every event and
 * routes it to its own local sockets with a map lookup, so no per-session SUBSCRIBE churn.
 */
export class RedisEventBus<Event> implements EventBus<Event> {
  private readonly handlers = new Set<(event: Event) => void>();
  private ready: Promise<unknown>;

  /** `subscriber` is a connection of its own: Redis puts a subscribing connection in a mode that allows nothing else. */
  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      let event: Event;
      try {
        event = JSON.parse(message) as Event;
      } catch (err) {
        this.logger.error({ err, channel }, 'dropping malformed event from Redis');
        return;
      }
      for (const handler of this.handlers) handler(event);
    });
    this.ready = this.subscriber.subscribe(this.channel);
  }

  /** Resolves once this instance is listening, so nothing published after start is missed. */
  whenReady(): Promise<unknown> {
    return this.ready;
  }

  async publish(event: Event): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify(event));
  }

  subscribe(handler: (event: Event) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Stops listening; the connections belong to whoever passed them in. */
  async close(): Promise<void> {
    this.handlers.clear();
    await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }
}
