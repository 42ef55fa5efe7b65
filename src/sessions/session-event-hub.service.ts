import { EventEmitter } from 'node:events';
import type { Logger } from '../common/logger';
import type { EventBus } from '../realtime/event-bus';
import { CloseCode, CloseReason } from '../realtime/close-codes';
import { listenerStream } from '../realtime/listener-stream';
import type { SocketRegistry } from '../realtime/socket-registry';
import { factsFromSnapshot, type SessionBusEvent } from './session-events';
import { SessionChangeKind, SessionsChangedEvent, SessionTerminatedEvent, toSession } from './session.type';

/** Counts down the subscribers a termination event was handed to, until each has sent it. */
class Delivery {
  private remaining: number;
  private resolve!: () => void;
  readonly settled = new Promise<void>((resolve) => (this.resolve = resolve));

  constructor(
    readonly event: SessionTerminatedEvent,
    recipients: number,
  ) {
    this.remaining = recipients;
    if (recipients === 0) this.resolve();
  }

  sent(): void {
    if (--this.remaining <= 0) this.resolve();
  }
}

const terminatedTopic = (sessionId: string) => `terminated:${sessionId}`;
const changedTopic = (userId: string) => `changed:${userId}`;

/**
 * This instance's end of the session event bus: turns every bus event into what the local clients
 * must see. For ended sessions, each open `sessionTerminated` subscription is sent its event first,
 * then every socket of the session is closed with 4401.
 */
export class SessionEventHub {
  private readonly local = new EventEmitter().setMaxListeners(0);
  private unsubscribe?: () => void;
  /** Terminations being delivered on this instance, by session id. */
  private readonly terminating = new Map<string, Promise<void>>();

  constructor(
    private readonly bus: EventBus<SessionBusEvent>,
    private readonly sockets: SocketRegistry,
    private readonly logger: Logger,
    private readonly options: {
      /** How long a socket may take to flush its sessionTerminated message before it is closed anyway. */
      deliveryTimeoutMs?: number;
      /** After an ended session's sockets here were closed (metrics: revocation-to-close latency). */
      onSocketsClosed?: (event: SessionTerminatedEvent, sockets: number) => void;
    } = {},
  ) {}

  start(): void {
    this.unsubscribe = this.bus.subscribe((event) => {
      this.dispatch(event).catch((err) => this.logger.error({ err }, 'failed to dispatch session event'));
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** Open sessionTerminated and sessionsChanged subscriptions on this instance. */
  subscriptionCount(): number {
    return this.local.eventNames().reduce((sum, name) => sum + this.local.listenerCount(name), 0);
  }

  publish(event: SessionBusEvent): Promise<void> {
    return this.bus.publish(event);
  }

  /**
   * Publishes news that may be lost (a sign-in for sessionsChanged): what it reports has already
   * committed, so a bus failure is logged and must not fail the caller.
   */
  async announce(event: SessionBusEvent): Promise<void> {
    try {
      await this.bus.publish(event);
    } catch (err) {
      this.logger.warn({ err, type: event.type }, 'could not publish session event');
    }
  }

  /** Also used for sessions found ended by reconciliation, whose event this instance may have missed. */
  async dispatch(event: SessionBusEvent): Promise<void> {
    if (event.type === 'SESSION_ADDED') {
      this.emitChange(event.userId, SessionChangeKind.ADDED, [event.sessionId]);
      return;
    }
    const terminatedBy = event.terminatedBy ? toSession(factsFromSnapshot(event.terminatedBy), null) : null;
    const terminatedAt = new Date(event.terminatedAt);
    await Promise.all(event.sessionIds.map((sessionId) => this.terminateLocally({ sessionId, reason: event.reason, terminatedAt, terminatedBy } satisfies SessionTerminatedEvent)));
    this.emitChange(event.userId, SessionChangeKind.REVOKED, event.sessionIds);
  }

  /**
   * Sends the session's subscriptions their event, then closes its sockets. An ending that is
   * already being delivered here (the bus and a sweep's reconciliation can both report it) is
   * joined, not started again: the event goes out once, and a second pass cannot close the
   * sockets before the first one's messages are written.
   */
  private terminateLocally(event: SessionTerminatedEvent): Promise<void> {
    const inFlight = this.terminating.get(event.sessionId);
    if (inFlight) return inFlight;
    const termination = this.deliverThenClose(event).finally(() => this.terminating.delete(event.sessionId));
    this.terminating.set(event.sessionId, termination);
    return termination;
  }

  /** Waits at most one delivery timeout, however many sockets are stalled: each session's wait runs alongside the others. */
  private async deliverThenClose(event: SessionTerminatedEvent): Promise<void> {
    const topic = terminatedTopic(event.sessionId);
    const recipients = this.local.listenerCount(topic);
    if (recipients > 0) {
      const delivery = new Delivery(event, recipients);
      this.local.emit(topic, delivery);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([delivery.settled, new Promise((resolve) => (timer = setTimeout(resolve, this.options.deliveryTimeoutMs ?? 2000)))]);
      clearTimeout(timer);
    }
    const closed = this.sockets.closeSession(event.sessionId, CloseCode.Unauthorized, CloseReason.SessionTerminated);
    if (closed > 0) this.options.onSocketsClosed?.(event, closed);
  }

  private emitChange(userId: string, kind: SessionChangeKind, sessionIds: string[]): void {
    this.local.emit(changedTopic(userId), { kind, sessionIds } satisfies SessionsChangedEvent);
  }

  /**
   * Yields the session's termination once, then ends. The consumer asking for the next value
   * (graphql-ws does so only after the socket accepted the message) marks the event as sent,
   * which lets the sockets close.
   */
  terminationStream(sessionId: string): AsyncIterableIterator<SessionTerminatedEvent> {
    const source = listenerStream<Delivery>(this.local, terminatedTopic(sessionId), { once: true });
    let handedOut: Delivery | undefined;
    const finish = async (): Promise<IteratorReturnResult<undefined>> => {
      handedOut?.sent();
      handedOut = undefined;
      await source.return?.();
      return { done: true, value: undefined };
    };
    return {
      async next() {
        if (handedOut) return finish();
        const result = await source.next();
        if (result.done) return { done: true, value: undefined };
        handedOut = result.value;
        return { done: false, value: handedOut.event };
      },
      return: finish,
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** Every change to the account's session list, until the consumer stops. */
  changeStream(userId: string): AsyncIterableIterator<SessionsChangedEvent> {
    return listenerStream<SessionsChangedEvent>(this.local, changedTopic(userId));
  }
}
