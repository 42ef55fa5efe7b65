import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../api/context';
import type { SignInAlerts } from './sign-in-alerts.service';

@Resolver()
export class AlertsResolver {
  constructor(private readonly alerts: SignInAlerts) {}

  @Mutation(() => String, {
    description:
      'From the "this wasn\'t me" link of a new sign-in alert email: ends exactly that session (single-use link token, no bearer token needed) and returns a password reset token so the owner can change the password at once.',
  })
  reportUnrecognizedSession(@Arg('token') token: string, @Ctx() context: RequestContext): Promise<string> {
    return this.alerts.report(token, context.client);
  }
}
