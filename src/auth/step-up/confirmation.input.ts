import { IsOptional, MaxLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';

@InputType({ description: 'Give one of them.' })
export class ConfirmationInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(128)
  password?: string | null;

  @Field(() => String, { nullable: true, description: 'TOTP code or a recovery code.' })
  @IsOptional()
  @MaxLength(64)
  otp?: string | null;

  @Field(() => String, { nullable: true, description: 'Code sent by requestConfirmationCode.' })
  @IsOptional()
  @MaxLength(16)
  emailCode?: string | null;
}
