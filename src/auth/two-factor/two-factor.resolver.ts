import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { requireViewer, type RequestContext } from '../../api/context';
import type { AuthService } from '../auth.service';
import { ConfirmationInput } from '../step-up/confirmation.input';
import type { StepUp } from '../step-up/step-up.service';
import type { TwoFactor } from './two-factor.service';
import { TotpSetup } from './totp-setup.type';
import { signInRequired } from '../../sessions/session.errors';

@Resolver()
export class TwoFactorResolver {
  constructor(
    private readonly auth: AuthService,
    private readonly twoFactor: TwoFactor,
    private readonly stepUp: StepUp,
  ) {}

  private async viewerAndUser(context: RequestContext) {
    const viewer = requireViewer(context);
    const user = await this.auth.findUser(viewer.userId);
    if (!user) throw signInRequired();
    return { viewer, user };
  }

  @Mutation(() => TotpSetup, {
    description:
      'Starts two-factor setup; nothing changes until confirmTotpSetup. Needs a fresh confirmation by password or emailed code (STEP_UP_REQUIRED) unless this session confirmed within the step-up window.',
  })
  async beginTotpSetup(
    @Arg('confirmation', () => ConfirmationInput, { nullable: true }) confirmation: ConfirmationInput | null,
    @Ctx() context: RequestContext,
  ): Promise<TotpSetup> {
    const { viewer, user } = await this.viewerAndUser(context);
    this.twoFactor.assertCanBegin(user);
    await this.stepUp.require(viewer, confirmation, context.client, 'beginTotpSetup');
    const { secret, otpauthUrl } = await this.twoFactor.begin(user);
    return { secret, otpauthUrl } satisfies TotpSetup;
  }

  @Mutation(() => [String], { description: 'Turns two-factor on; returns one-time recovery codes, shown only this once.' })
  async confirmTotpSetup(@Arg('code') code: string, @Ctx() context: RequestContext): Promise<string[]> {
    const { viewer, user } = await this.viewerAndUser(context);
    return this.twoFactor.confirm(user, code, { client: context.client, actor: viewer });
  }

  @Mutation(() => Boolean, { description: 'Turns two-factor off; needs a confirmation every time.' })
  async disableTotp(@Arg('confirmation', () => ConfirmationInput) confirmation: ConfirmationInput, @Ctx() context: RequestContext): Promise<boolean> {
    const { viewer, user } = await this.viewerAndUser(context);
    await this.stepUp.confirm(viewer, confirmation, context.client, 'disableTotp');
    await this.twoFactor.disable(user, { client: context.client, actor: viewer });
    return true;
  }
}
