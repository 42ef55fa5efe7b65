import { Arg, Ctx, Field, Mutation, ObjectType, Resolver } from 'type-graphql';
import { requireViewer, type RequestContext } from '../../common/context';
import { UnauthenticatedError } from '../../common/errors';
import type { AuthService } from '../auth.service';
import { ConfirmationInput } from '../step-up/confirmation.input';
import type { StepUp } from '../step-up/step-up';
import type { TwoFactor } from './two-factor.service';

@ObjectType()
export class TotpSetup {
  @Field({ description: 'Base32; for apps that cannot scan the otpauth URL.' })
  secret!: string;

  @Field({ description: 'otpauth://totp/... for a QR code.' })
  otpauthUrl!: string;
}

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
    if (!user) throw new UnauthenticatedError();
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
    return Object.assign(new TotpSetup(), await this.twoFactor.begin(user));
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

