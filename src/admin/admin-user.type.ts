import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'An account as support staff see it (admin service clients only).' })
export class AdminUser {
  @Field(() => ID)
  id!: string;

  @Field()
  email!: string;

  @Field()
  emailVerified!: boolean;

  @Field()
  createdAt!: Date;
}
