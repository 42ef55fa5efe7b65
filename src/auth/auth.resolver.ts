import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { requireViewer, type RequestContext } from '../common/context';
import { UnauthenticatedError } from '../common/errors';
import { toSession } from '../sessions/session.types';
import type { AuthService, SignedIn } from './auth.service';
import type { EmailOwnership } from './email-ownership';
import { AuthPayload, LoginInput, RegisterInput, User } from './auth.types';
import type { UserEntity } from './user.entity';

function toUser(user: UserEntity): User {
  return Object.assign(new User(), {
    id: user.id,
    email: user.email,
    createdAt: user.createdAt,
    twoFactorEnabled: user.totpSecret !== null,
    emailVerified: user.emailVerifiedAt !== null,
  });
}

function toAuthPayload({ token, user, session }: SignedIn): AuthPayload {
  return Object.assign(new AuthPayload(), { token, user: toUser(user), session: toSession(session, session.id) });
}

@Resolver()
export class AuthResolver {
  constructor(
    private readonly auth: AuthService,
    private readonly ownership: EmailOwnership,
  ) {}

  @Query(() => User, { description: 'UNAUTHENTICATED without a live session.' })
  async me(@Ctx() context: RequestContext): Promise<User> {
    const viewer = requireViewer(context);
    const user = await this.auth.findUser(viewer.userId);
    if (!user) throw new UnauthenticatedError();
    return toUser(user);
  }

  @Mutation(() => AuthPayload)
  async register(@Arg('input', () => RegisterInput) input: RegisterInput, @Ctx() context: RequestContext): Promise<AuthPayload> {
    return toAuthPayload(await this.auth.register(input.email, input.password, { ...context.client, device: input.device ?? null }));
  }

  @Mutation(() => Boolean, {
    description:
      'From the link of the verification email (no bearer token needed): proves the address. For an account registered with an address another, unverified account held, it takes the address over and ends every session of that account.',
  })
  async verifyEmail(@Arg('token') token: string, @Ctx() context: RequestContext): Promise<boolean> {
    await this.ownership.verify(token, context.client);
    return true;
  }

  @Mutation(() => Boolean, { description: 'Emails a new verification link (earlier ones stop working); true, and nothing sent, once verified.' })
  async requestEmailVerification(@Ctx() context: RequestContext): Promise<boolean> {
    await this.ownership.resend(requireViewer(context).userId, context.client);
    return true;
  }

  @Mutation(() => AuthPayload)
  async login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() context: RequestContext): Promise<AuthPayload> {
    return toAuthPayload(await this.auth.login(input.email, input.password, input.otp, { ...context.client, device: input.device ?? null }));
  }
}
