import { Field, ObjectType } from 'type-graphql';
import type { GeoLocation } from './location';

@ObjectType({ description: 'Approximate place of an IP address; every field is null for private and loopback addresses.' })
export class Location {
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2.' })
  countryCode!: string | null;

  @Field(() => String, { nullable: true })
  country!: string | null;

  @Field(() => String, { nullable: true })
  region!: string | null;

  @Field(() => String, { nullable: true })
  city!: string | null;
}

/** The place columns a session or audit event stores, as the GraphQL Location. */
export function toLocation(place: GeoLocation): Location {
  const { countryCode, country, region, city } = place;
  return { countryCode, country, region, city } satisfies Location;
}
