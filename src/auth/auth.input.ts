import { IsEmail, IsOptional, IsString, Length, MaxLength, ValidateNested } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { DeviceInput } from '../devices/device.input';

export const PASSWORD_MIN_LENGTH = 10;
/** argon2 cost grows with input; a cap keeps a huge password from being a denial of service. */
export const PASSWORD_MAX_LENGTH = 128;

@InputType()
export class RegisterInput {
  @Field()
  @MaxLength(254, { message: 'Email must be at most 254 characters.' })
  @IsEmail({}, { message: 'Enter a valid email address.' })
  email!: string;

  @Field()
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, {
    message: `Password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.`,
  })
  password!: string;

  @Field(() => DeviceInput, { nullable: true, description: 'Apps: the device, so the session list and sign-in emails name it.' })
  @IsOptional()
  @ValidateNested()
  device?: DeviceInput | null;
}

@InputType()
export class LoginInput {
  @Field()
  @MaxLength(254, { message: 'Email must be at most 254 characters.' })
  email!: string;

  @Field()
  @MaxLength(PASSWORD_MAX_LENGTH, { message: `Password must be at most ${PASSWORD_MAX_LENGTH} characters long.` })
  password!: string;

  @Field(() => String, { nullable: true, description: 'TOTP code or a recovery code, for accounts with two-factor on.' })
  @IsOptional()
  @MaxLength(64, { message: 'The code is too long.' })
  otp?: string | null;

  @Field(() => DeviceInput, { nullable: true, description: 'Apps: the device, so the session list and sign-in emails name it.' })
  @IsOptional()
  @ValidateNested()
  device?: DeviceInput | null;
}
