import { Field, ID, ObjectType } from 'type-graphql';
import { Session } from '../sessions/session.type';

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
