import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Session } from '../sessions/session.types';

export const PASSWORD_MIN_LENGTH = 10;
/** argon2 cost grows with input; a cap keeps a huge password from being a denial of service. */
export const PASSWORD_MAX_LENGTH = 128;

@ObjectType()
export class User {
  @Field(() => ID)
  id: string;

  @Field()
  email: string;

  @Field()
  createdAt: Date;

  @Field()
  twoFactorEnabled: boolean;

  @Field({ description: 'True once the emailed link proved the address. Two-factor, sign-in alerts and security notices need it.' })
  emailVerified: boolean;
}

@ObjectType()
export class AuthPayload {
  @Field({ description: 'Opaque bearer token, shown once.' })
  token: string;

  @Field(() => User)
  user: User;

  @Field(() => Session)
  session: Session;
}

@InputType()
export class RegisterInput {
  @Field()
  @MaxLength(254, { message: 'Email must be at most 254 characters.' })
  @IsEmail({}, { message: 'Enter a valid email address.' })
  email: string;

  @Field()
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, {
    message: `Password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.`,
  })
  password: string;
}

@InputType()
export class LoginInput {
  @Field()
  @MaxLength(254, { message: 'Email must be at most 254 characters.' })
  email: string;

  @Field()
  @MaxLength(PASSWORD_MAX_LENGTH, { message: `Password must be at most ${PASSWORD_MAX_LENGTH} characters long.` })
  password: string;

  @Field(() => String, { nullable: true, description: 'TOTP code or a recovery code, for accounts with two-factor on.' })
  @IsOptional()
  @MaxLength(64, { message: 'The code is too long.' })
  otp?: string | null;
}
