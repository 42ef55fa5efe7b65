import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../api/context';
import { RevokeResult, Session, toSession } from '../sessions/session.type';
import { toRevokeResult } from '../sessions/session.resolver';
import type { AdminActions } from './admin-actions.service';
import { AdminUser } from './admin-user.type';
import { adminScopeRequired } from './admin.errors';

/** The admin surface: only for a service client's access token holding the `admin` scope. */
function requireAdmin(context: RequestContext): AdminActions {
  if (!context.admin) throw adminScopeRequired();
  return context.admin;
}

@Resolver()
export class AdminResolver {
  @Query(() => AdminUser, { nullable: true, description: 'Admin: the account holding this email address (audited on the account).' })
  async userByEmail(@Arg('email') email: string, @Ctx() context: RequestContext): Promise<AdminUser | null> {
    const user = await requireAdmin(context).userByEmail(email);
    return user && ({ id: user.id, email: user.email, emailVerified: !!user.emailVerifiedAt, createdAt: user.createdAt } satisfies AdminUser);
  }

  @Query(() => [Session], { description: 'Admin: the live sessions of any account, newest first (audited on the account).' })
  async userSessions(@Arg('userId', () => ID) userId: string, @Ctx() context: RequestContext): Promise<Session[]> {
    const live = await requireAdmin(context).userSessions(userId);
    return live.map((session) => toSession(session, null));
  }

  @Mutation(() => RevokeResult, {
    description: 'Admin: ends every live session of an account (reason ADMIN_REVOKED; audited with the client as actor; one SET per session).',
  })
  async revokeUserSessions(
    @Arg('userId', () => ID) userId: string,
    @Arg('reason', () => String, { nullable: true, description: 'A note for the SSF receivers (reason_admin).' }) reason: string | null,
    @Ctx() context: RequestContext,
  ): Promise<RevokeResult> {
    return toRevokeResult(await requireAdmin(context).revokeUserSessions(userId, reason));
  }
}
