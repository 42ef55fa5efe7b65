import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { requireViewer, type RequestContext } from '../api/context';
import { toSession } from '../sessions/session.type';
import type { AuthService, SignedIn } from './auth.service';
import type { EmailOwnership } from './email-ownership.service';
import { LoginInput, RegisterInput } from './auth.input';
import { AuthPayload, User } from './auth.type';
import type { UserEntity } from './user.entity';
import { signInRequired } from '../sessions/session.errors';

function toUser(user: UserEntity): User {
  return {
    id: user.id,
    email: user.email,
    createdAt: user.createdAt,
    twoFactorEnabled: user.totpSecret !== null,
    emailVerified: user.emailVerifiedAt !== null,
  } satisfies User;
}

function toAuthPayload({ token, user, session }: SignedIn): AuthPayload {
  return { token, user: toUser(user), session: toSession(session, session.id) } satisfies AuthPayload;
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
    if (!user) throw signInRequired();
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
