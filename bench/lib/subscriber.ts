import { performance } from 'node:perf_hooks';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { OnSessionTerminatedDocument, type OnSessionTerminatedSubscription } from '../../test/generated/graphql';
import { deferred, within } from './wait';

const SESSION_TERMINATED = print(OnSessionTerminatedDocument);

export interface Stamped<T> {
  at: number;
  value: T;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

/**
 * One device holding a graphql-ws connection with a `sessionTerminated` subscription. Every
 * moment is stamped with performance.now() inside the callback itself, so the figures do not
 * include the time a waiting benchmark takes to resume.
 */
export class TerminationSubscriber {
  readonly connectStartedAt = performance.now();
  readonly acknowledged = deferred<number>();
  readonly terminated = deferred<Stamped<OnSessionTerminatedSubscription['sessionTerminated']>>();
  readonly closed = deferred<Stamped<CloseInfo>>();
  private readonly client: Client;

  private constructor(url: string, token: string, localAddress: string | undefined) {
    const onClose = (info: CloseInfo) => this.closed.resolve({ at: performance.now(), value: info });
    this.client = createClient({
      url,
      webSocketImpl: socketBoundTo(localAddress, onClose),
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
      retryAttempts: 0,
      keepAlive: 0,
      onNonLazyError: () => undefined,
      on: { connected: () => this.acknowledged.resolve(performance.now()) },
    });
    // A close before the ack (refused token) must fail the wait for the ack, not hang it.
    // `closed` only ever resolves, so this chain cannot reject.
    void this.closed.promise.then(({ value }) => this.acknowledged.reject(new Error(`closed before ack: ${value.code} ${value.reason}`)));
    // Whoever waits on these sees the rejection; nobody waiting must not crash the process.
    this.acknowledged.promise.catch(() => undefined);
    this.terminated.promise.catch(() => undefined);
  }

  /** Connects from `localAddress` (a 127.0.0.x) and resolves once the server acknowledged connection_init. */
  static async connect(wsUrl: string, token: string, options: { localAddress?: string; timeoutMs?: number } = {}): Promise<TerminationSubscriber> {
    const subscriber = new TerminationSubscriber(wsUrl, token, options.localAddress);
    try {
      await within(subscriber.acknowledged.promise, options.timeoutMs ?? 10_000, 'connection_ack');
    } catch (err) {
      await subscriber.dispose();
      throw err;
    }
    return subscriber;
  }

  /** graphql-ws answers nothing when a subscription starts: the server's subscription count tells when it is registered. */
  subscribe(): void {
    this.client.subscribe<OnSessionTerminatedSubscription>(
      { query: SESSION_TERMINATED },
      {
        next: (result) => {
          const event = result.data?.sessionTerminated;
          if (event) this.terminated.resolve({ at: performance.now(), value: event });
          else this.terminated.reject(new Error(`sessionTerminated without data: ${JSON.stringify(result.errors)}`));
        },
        error: (error) => this.terminated.reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => undefined,
      },
    );
  }

  async dispose(): Promise<void> {
    await this.client.dispose();
  }
}

/** A WebSocket class for graphql-ws that connects from a given loopback address and reports its close. */
function socketBoundTo(localAddress: string | undefined, onClose: (info: CloseInfo) => void) {
  return class BoundSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, localAddress ? { localAddress } : {});
      this.once('close', (code: number, reason: Buffer) => onClose({ code, reason: reason.toString() }));
    }
  };
}
