import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from '../common/logger';
import type { EventBus } from './event-bus';

/** While the connection is up but SUBSCRIBE fails (a slow Redis), how long to wait before trying again. */
const RESUBSCRIBE_RETRY_MS = 500;

/**
 * Cross-instance bus over one Redis pub/sub channel. Every instance receives every event and
 * routes it to its own local sockets with a map lookup, so no per-session SUBSCRIBE churn.
 *
 * Pub/sub keeps nothing for a listener that is away: after the subscriber connection comes back,
 * this bus subscribes again itself (ioredis's autoResubscribe sends its own SUBSCRIBE too, but
 * nobody learns whether it worked; SUBSCRIBE twice is harmless) and, once Redis has confirmed,
 * tells `onResumed` handlers so they can catch up on what they missed (issue 7).
 */
export class RedisEventBus<Event> implements EventBus<Event> {
  private readonly handlers = new Set<(event: Event) => void>();
  private readonly resumedHandlers = new Set<() => void>();
  private ready: Promise<unknown>;
  /** The subscriber connection dropped since we last confirmed listening. */
  private lost = false;
  private closed = false;

  /** `subscriber` is a connection of its own: Redis puts a subscribing connection in a mode that allows nothing else. */
  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly logger: Logger,
    startupMs = 10_000,
  ) {
    this.subscriber.on('message', this.onMessage);
    this.subscriber.on('close', this.onClose);
    this.subscriber.on('ready', this.onReady);
    const deadline = performance.now() + startupMs;
    this.ready = this.subscribeUntilConfirmed(() => !this.closed && performance.now() + RESUBSCRIBE_RETRY_MS < deadline, 'at start');
  }

  /**
   * SUBSCRIBE until Redis confirms: after a failure, waits RESUBSCRIBE_RETRY_MS and tries again
   * while `mayRetry()` says so, otherwise rethrows. At start one SUBSCRIBE bounded by the command
   * timeout failed start-up on a loaded machine (seen in a full test run), so start-up retries too,
   * until REDIS_STARTUP_TIMEOUT_MS, like the connection.
   */
  private async subscribeUntilConfirmed(mayRetry: () => boolean, when: string): Promise<void> {
    for (;;) {
      try {
        await this.subscriber.subscribe(this.channel);
        return;
      } catch (err) {
        if (!mayRetry()) throw err;
        this.logger.warn({ err, channel: this.channel }, `could not subscribe ${when}; retrying`);
        await sleep(RESUBSCRIBE_RETRY_MS, undefined, { ref: false });
      }
    }
  }

  private readonly onMessage = (channel: string, message: string): void => {
    if (channel !== this.channel) return;
    let event: Event;
    try {
      event = JSON.parse(message) as Event;
    } catch (err) {
      this.logger.error({ err, channel }, 'dropping malformed event from Redis');
      return;
    }
    for (const handler of this.handlers) handler(event);
  };

  private readonly onClose = (): void => {
    this.lost = true;
  };

  private readonly onReady = (): void => {
    if (this.lost) void this.resubscribe();
  };

  /** Subscribes until Redis confirms, as long as the connection stays up; then reports the resumption. */
  private async resubscribe(): Promise<void> {
    const connected = () => !this.closed && this.subscriber.status === 'ready';
    if (!connected()) return;
    try {
      await this.subscribeUntilConfirmed(connected, 'again after reconnecting');
    } catch {
      return; // the connection dropped again: its next 'ready' starts over
    }
    if (!this.lost) return; // another attempt already reported it
    this.lost = false;
    this.logger.info({ channel: this.channel }, 'listening for events again');
    for (const handler of this.resumedHandlers) handler();
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

  onResumed(handler: () => void): () => void {
    this.resumedHandlers.add(handler);
    return () => this.resumedHandlers.delete(handler);
  }

  /** Stops listening; the connections belong to whoever passed them in. */
  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    this.resumedHandlers.clear();
    this.subscriber.off('message', this.onMessage);
    this.subscriber.off('close', this.onClose);
    this.subscriber.off('ready', this.onReady);
    await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }
}
