import { Arg, Ctx, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { ConfirmationInput } from '../auth/step-up/confirmation.input';
import type { StepUp } from '../auth/step-up/step-up.service';
import { requireViewer, type RequestContext } from '../api/context';
import { TerminationReason } from './session.entity';
import type { SessionEventHub } from './session-event-hub.service';
import { isSessionId, type SessionService } from './session.service';
import type { SessionTerminator } from './session-terminator.service';
import { RevokeResult, Session, SessionsChangedEvent, SessionTerminatedEvent, toSession } from './session.type';
import { sessionNotFound } from './session.errors';

export function toRevokeResult(sessionIds: string[]): RevokeResult {
  return { revokedCount: sessionIds.length, revokedSessionIds: sessionIds } satisfies RevokeResult;
}

@Resolver()
export class SessionResolver {
  constructor(
    private readonly sessionService: SessionService,
    private readonly terminator: SessionTerminator,
    private readonly stepUp: StepUp,
  ) {}

  @Query(() => [Session], { description: 'Live sessions of my account, newest first.' })
  async sessions(@Ctx() context: RequestContext): Promise<Session[]> {
    const viewer = requireViewer(context);
    const live = await this.sessionService.listLive(viewer.userId, { viewerSessionId: viewer.id });
    return live.map((session) => toSession(session, viewer.id));
  }

  @Query(() => Session, { nullable: true, description: 'Null when not mine or not live.' })
  async session(@Arg('id', () => ID) id: string, @Ctx() context: RequestContext): Promise<Session | null> {
    const viewer = requireViewer(context);
    const session = await this.sessionService.findLive(viewer.userId, id);
    return session && toSession(session, viewer.id);
  }

  @Mutation(() => Boolean, { description: 'Ends the calling session.' })
  async logout(@Ctx() context: RequestContext): Promise<boolean> {
    const viewer = requireViewer(context);
    await this.terminator.end({
      userId: viewer.userId,
      target: { sessionIds: [viewer.id] },
      reason: TerminationReason.LOGOUT,
      actor: viewer,
      client: context.client,
    });
    return true;
  }

  @Mutation(() => RevokeResult, {
    description: 'Ends one session of my account. Another session needs a fresh confirmation (STEP_UP_REQUIRED); the calling one is a logout.',
  })
  async revokeSession(
    @Arg('id', () => ID) id: string,
    @Arg('confirmation', () => ConfirmationInput, { nullable: true }) confirmation: ConfirmationInput | null,
    @Ctx() context: RequestContext,
    @Arg('reason', () => String, { nullable: true, description: 'Admin callers only: a note for the audit and the SSF receivers.' }) reason?: string | null,
  ): Promise<RevokeResult> {
    // A service client with the admin scope may end any account's session (reason ADMIN_REVOKED).
    if (context.admin) return toRevokeResult(await context.admin.revokeSession(id, reason ?? null));
    const viewer = requireViewer(context);
    if (!isSessionId(id)) throw sessionNotFound();
    const targetId = id.toLowerCase();
    const isSelf = targetId === viewer.id;
    if (!isSelf && !(this.stepUp.isFresh(viewer) && !confirmation)) {
      // A confirmation will be asked for or checked: only for a session there is to end, so a missing
      // or foreign id answers NOT_FOUND, never a prompt.
      if (!(await this.sessionService.findLive(viewer.userId, targetId))) throw sessionNotFound();
      await this.stepUp.require(viewer, confirmation, context.client, 'revokeSession');
    }
    // Within the step-up window the ending itself tells whether the session was there to end: no read before it.
    const { sessionIds } = await this.terminator.end({
      userId: viewer.userId,
      target: { sessionIds: [targetId] },
      reason: isSelf ? TerminationReason.LOGOUT : TerminationReason.REVOKED,
      actor: viewer,
      client: context.client,
    });
    if (sessionIds.length === 0) throw sessionNotFound();
    return toRevokeResult(sessionIds);
  }

  @Mutation(() => RevokeResult, { description: 'Ends every session of my account but the calling one; needs a fresh confirmation.' })
  async revokeOtherSessions(
    @Arg('confirmation', () => ConfirmationInput, { nullable: true }) confirmation: ConfirmationInput | null,
    @Ctx() context: RequestContext,
  ): Promise<RevokeResult> {
    const viewer = requireViewer(context);
    await this.stepUp.require(viewer, confirmation, context.client, 'revokeOtherSessions');
    const { sessionIds } = await this.terminator.end({
      userId: viewer.userId,
      target: { allExcept: viewer.id },
      reason: TerminationReason.SIGNED_OUT_EVERYWHERE,
      actor: viewer,
      client: context.client,
    });
    return toRevokeResult(sessionIds);
  }

  @Mutation(() => Boolean, { description: 'Emails a one-time code to the account, for confirming a sensitive action.' })
  async requestConfirmationCode(@Ctx() context: RequestContext): Promise<boolean> {
    await this.stepUp.sendEmailCode(requireViewer(context), context.client);
    return true;
  }

  @Subscription(() => SessionTerminatedEvent, {
    description: 'Fires once for the subscribing session, then the server closes its sockets with 4401.',
    subscribe: ({ context }) => (context as SubscriptionContext).hub.terminationStream(requireViewer(context as RequestContext).id),
  })
  sessionTerminated(@Root() event: SessionTerminatedEvent): SessionTerminatedEvent {
    return event;
  }

  @Subscription(() => SessionsChangedEvent, {
    description: "Any change to my account's session list.",
    subscribe: ({ context }) => (context as SubscriptionContext).hub.changeStream(requireViewer(context as RequestContext).userId),
  })
  sessionsChanged(@Root() event: SessionsChangedEvent): SessionsChangedEvent {
    return event;
  }
}

/** Subscriptions are wired before resolver instances exist, so they reach the hub through the context. */
export interface SubscriptionContext extends RequestContext {
  hub: SessionEventHub;
}
