import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { deferred, within, type Deferred } from './wait';

/**
 * The floor under any cross-instance event: one ioredis PUBLISH until the message reaches an
 * ioredis subscriber on the same Redis, in this process. Each sample is one message, alone in flight.
 */
export class RedisRoundTrip {
  private waiting?: { sequence: number; arrived: Deferred<number> };
  private sequence = 0;

  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
  ) {
    subscriber.on('message', (from: string, message: string) => {
      const arrivedAt = performance.now();
      if (from === this.channel && this.waiting && Number(message) === this.waiting.sequence) this.waiting.arrived.resolve(arrivedAt);
    });
  }

  static async open(redisUrl: string, channel: string): Promise<RedisRoundTrip> {
    const publisher = new Redis(redisUrl, { lazyConnect: true });
    const subscriber = new Redis(redisUrl, { lazyConnect: true });
    await Promise.all([publisher.connect(), subscriber.connect()]);
    await subscriber.subscribe(channel);
    return new RedisRoundTrip(publisher, subscriber, channel);
  }

  /** Milliseconds from PUBLISH to the subscriber's message event. */
  async sample(timeoutMs = 5000): Promise<number> {
    const sequence = ++this.sequence;
    const arrived = deferred<number>();
    this.waiting = { sequence, arrived };
    const sentAt = performance.now();
    await this.publisher.publish(this.channel, String(sequence));
    const arrivedAt = await within(arrived.promise, timeoutMs, 'a Redis message');
    return arrivedAt - sentAt;
  }

  async close(): Promise<void> {
    await Promise.all([this.subscriber.quit(), this.publisher.quit()]);
  }
}
