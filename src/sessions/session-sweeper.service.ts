import { In, IsNull, LessThanOrEqual, Not, type DataSource, type Repository } from 'typeorm';
import type { Config } from '../config/config';
import type { DatabaseClock } from '../db/clock';
import type { Logger } from '../common/logger';
import type { SocketRegistry } from '../realtime/socket-registry';
import { SessionEntity, TerminationReason } from './session.entity';
import { snapshotOf } from './session-events';
import { idleBefore } from './session-lifetime';
import type { SessionEventHub } from './session-event-hub.service';
import type { SessionTerminator } from './session-terminator.service';

const BATCH = 500;

/**
 * Periodic upkeep on every instance:
 * - ends sessions that reached expiresAt or sat unused past the idle timeout (reason EXPIRED for
 *   both) through the terminator, like any other ending;
 * - closes local sockets whose session ended while this instance missed the event (a Redis outage),
 *   so a lost message never leaves a socket of an ended session open for long.
 */
export class SessionSweeper {
  private readonly sessions: Repository<SessionEntity>;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private reconciling?: Promise<void>;

  constructor(
    dataSource: DataSource,
    private readonly terminator: SessionTerminator,
    private readonly hub: SessionEventHub,
    private readonly sockets: SocketRegistry,
    private readonly clock: DatabaseClock,
    private readonly config: Pick<Config, 'sessionIdleTimeoutSeconds' | 'activityWriteIntervalSeconds'>,
    private readonly logger: Logger,
  ) {
    this.sessions = dataSource.getRepository(SessionEntity);
  }

  start(intervalSeconds: number): void {
    this.timer = setInterval(() => void this.sweep(), intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; concurrent calls share it. */
  sweep(now = this.clock.now()): Promise<void> {
    this.running ??= this.sweepOnce(now)
      .catch((err) => this.logger.error({ err }, 'session sweep failed'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepOnce(now: Date): Promise<void> {
    // Independent steps: an ending that fails (say, a database hiccup) must not keep open sockets of ended sessions open.
    await this.endExpired(now).catch((err) => this.logger.error({ err }, 'ending expired sessions failed'));
    await this.reconcileSockets();
  }

  /**
   * Only the reconciliation of open sockets, outside the timer: for when this instance may have
   * missed endings, e.g. its event bus just came back after an outage.
   */
  reconcile(): Promise<void> {
    this.reconciling ??= this.reconcileSockets()
      .catch((err) => this.logger.error({ err }, 'socket reconciliation failed'))
      .finally(() => (this.reconciling = undefined));
    return this.reconciling;
  }

  private async endExpired(now: Date): Promise<void> {
    for (;;) {
      const expired = await this.sessions.find({
        select: { id: true, userId: true },
        where: [
          { revokedAt: IsNull(), expiresAt: LessThanOrEqual(now) },
          { revokedAt: IsNull(), lastActiveAt: LessThanOrEqual(idleBefore(this.config, now)) },
        ],
        take: BATCH,
      });
      const byUser = new Map<string, string[]>();
      for (const { id, userId } of expired) byUser.set(userId, [...(byUser.get(userId) ?? []), id]);
      for (const [userId, sessionIds] of byUser) {
        await this.terminator.end({ userId, target: { sessionIds }, reason: TerminationReason.EXPIRED, actor: null, client: null }, now);
      }
      if (expired.length < BATCH) return;
    }
  }

  /**
   * Every ended session found is told and closed at once, side by side: a stalled socket costs
   * the whole pass one delivery timeout, never one per socket.
   */
  private async reconcileSockets(): Promise<void> {
    const open = this.sockets.sessionIds();
    const ended: SessionEntity[] = [];
    for (let i = 0; i < open.length; i += BATCH) {
      ended.push(...(await this.sessions.find({ where: { id: In(open.slice(i, i + BATCH)), revokedAt: Not(IsNull()) } })));
    }
    if (ended.length === 0) return;
    const actorIds = [...new Set(ended.flatMap((session) => (session.revokedBySessionId ? [session.revokedBySessionId] : [])))];
    const actors = new Map<string, SessionEntity>();
    for (let i = 0; i < actorIds.length; i += BATCH) {
      for (const actor of await this.sessions.findBy({ id: In(actorIds.slice(i, i + BATCH)) })) actors.set(actor.id, actor);
    }
    this.logger.warn({ sessionIds: ended.map((session) => session.id) }, 'closing sockets of sessions whose end this instance missed');
    await Promise.all(
      ended.map((session) => {
        const actor = session.revokedBySessionId ? actors.get(session.revokedBySessionId) : undefined;
        return this.hub.dispatch({
          type: 'SESSIONS_ENDED',
          userId: session.userId,
          sessionIds: [session.id],
          reason: session.revokeReason ?? TerminationReason.REVOKED,
          terminatedAt: (session.revokedAt ?? this.clock.now()).toISOString(),
          terminatedBy: actor ? snapshotOf(actor) : null,
        });
      }),
    );
  }
}
