import { IsEmail, IsOptional, IsString, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Session } from '../sessions/session.types';

export const PASSWORD_MIN_LENGTH = 10;
/** argon2 cost grows with input; a cap keeps a huge password from being a denial of service. */
export const PASSWORD_MAX_LENGTH = 128;

@ObjectType()
export class User {
  @Field(() => ID)
  id!: string;

  @Field()
  email!: string;

  @Field()
  createdAt!: Date;

  @Field()
  twoFactorEnabled!: boolean;

  @Field({ description: 'True once the emailed link proved the address. Two-factor, sign-in alerts and security notices need it.' })
  emailVerified!: boolean;
}

@ObjectType()
export class AuthPayload {
  @Field({ description: 'Opaque bearer token, shown once.' })
  token!: string;

  @Field(() => User)
  user!: User;

  @Field(() => Session)
  session!: Session;
}

@InputType({ description: 'What an app knows about the device it runs on. Shown in the session list and emails; never trusted for anything else.' })
export class DeviceInput {
  @Field(() => String, { nullable: true, description: 'What the person calls the device, e.g. "Ada\'s Pixel 8" (at most 64 characters).' })
  @IsOptional()
  @Length(1, 64, { message: 'The device name must be 1 to 64 characters long.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'e.g. "Android", "iOS" (letters, digits, spaces, dots, dashes; at most 32).' })
  @IsOptional()
  @Matches(/^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,31}$/u, { message: 'The platform must be 1 to 32 letters, digits, spaces, dots or dashes.' })
  platform?: string | null;

  @Field(() => String, { nullable: true, description: 'e.g. "2.3.1" or "2.3.1+45" (at most 32 characters).' })
  @IsOptional()
  @Matches(/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$/, { message: 'The app version must be 1 to 32 letters, digits, dots, plus signs, dashes or underscores.' })
  appVersion?: string | null;
}

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
