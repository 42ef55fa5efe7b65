import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { requireViewer, type RequestContext } from '../../api/context';
import type { PasswordService } from './password.service';

@Resolver()
export class PasswordResolver {
  constructor(private readonly passwords: PasswordService) {}

  @Mutation(() => Boolean, { description: 'Signs the other devices out unless signOutOtherSessions is false.' })
  async changePassword(
    @Arg('currentPassword') currentPassword: string,
    @Arg('newPassword') newPassword: string,
    @Arg('signOutOtherSessions', () => Boolean, { nullable: true, defaultValue: true }) signOutOtherSessions: boolean | null,
    @Ctx() context: RequestContext,
  ): Promise<boolean> {
    const viewer = requireViewer(context);
    await this.passwords.change(viewer, currentPassword, newPassword, signOutOtherSessions !== false, context.client);
    return true;
  }

  @Mutation(() => Boolean, { description: 'True whether or not the email has an account.' })
  async requestPasswordReset(@Arg('email') email: string, @Ctx() context: RequestContext): Promise<boolean> {
    await this.passwords.requestReset(email, context.client);
    return true;
  }

  @Mutation(() => Boolean, { description: 'Sets a new password with an emailed reset token and ends every session.' })
  async resetPassword(@Arg('token') token: string, @Arg('newPassword') newPassword: string, @Ctx() context: RequestContext): Promise<boolean> {
    await this.passwords.reset(token, newPassword, context.client);
    return true;
  }
}
