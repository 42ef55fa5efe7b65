import { Field, ObjectType } from 'type-graphql';

@ObjectType()
export class TotpSetup {
  @Field({ description: 'Base32; for apps that cannot scan the otpauth URL.' })
  secret!: string;

  @Field({ description: 'otpauth://totp/... for a QR code.' })
  otpauthUrl!: string;
}
