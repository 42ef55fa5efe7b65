import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DeviceType } from '../devices/device';
import type { GeoLocation } from '../devices/location';
import { SessionFlag, TerminationReason } from './session.entity';
import type { SessionFacts } from './session-events';

registerEnumType(DeviceType, { name: 'DeviceType' });
registerEnumType(SessionFlag, {
  name: 'SessionFlag',
  valuesConfig: {
    NEW_DEVICE: { description: 'First sign-in of this account from this kind of device.' },
    NEW_LOCATION: { description: 'First sign-in of this account from this country.' },
  },
});
registerEnumType(TerminationReason, {
  name: 'TerminationReason',
  valuesConfig: {
    LOGOUT: { description: 'The session signed itself out.' },
    REVOKED: { description: 'Another session of the account revoked it.' },
    SIGNED_OUT_EVERYWHERE: { description: 'revokeOtherSessions from another session.' },
    REPORTED_UNRECOGNIZED: { description: 'Ended from the "this wasn\'t me" link of a sign-in alert.' },
    ADMIN_REVOKED: { description: "Ended by the app's support staff (a service client with the admin scope)." },
    ACCOUNT_RECLAIMED: { description: 'The owner of the email address proved the mailbox and took it from this unverified account.' },
  },
});

export enum SessionChangeKind {
  ADDED = 'ADDED',
  REVOKED = 'REVOKED',
}
registerEnumType(SessionChangeKind, { name: 'SessionChangeKind' });

@ObjectType({ description: 'The device a session signed in from, as parsed from its User-Agent and, for apps, as the app declared it.' })
export class Device {
  @Field(() => DeviceType)
  type!: DeviceType;

  @Field(() => String, { nullable: true, description: '"iOS 17.4", "Windows 10"' })
  os!: string | null;

  @Field(() => String, { nullable: true, description: '"Safari 17", "Instagram App", "Chrome 126"' })
  browser!: string | null;

  @Field(() => String, { nullable: true, description: '"iPhone", "Pixel 8"' })
  model!: string | null;

  @Field({ description: 'Human summary, e.g. "Chrome on macOS", or "Ada\'s Pixel 8 · Android app 2.3.1" when the app declared its device.' })
  label!: string;

  @Field(() => String, { nullable: true, description: 'The name the app declared at sign-in (`device.name`); unverified, like the User-Agent.' })
  name!: string | null;

  @Field(() => String, { nullable: true, description: 'The platform the app declared at sign-in (`device.platform`); unverified.' })
  platform!: string | null;

  @Field(() => String, { nullable: true, description: 'The app version declared at sign-in (`device.appVersion`); unverified.' })
  appVersion!: string | null;
}

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

@ObjectType({ description: 'One signed-in device of the account.' })
export class Session {
  @Field(() => ID)
  id!: string;

  @Field(() => Device)
  device!: Device;

  @Field()
  ipAddress!: string;

  @Field(() => Location)
  location!: Location;

  @Field({ description: 'When this sign-in happened.' })
  createdAt!: Date;

  @Field()
  lastActiveAt!: Date;

  @Field()
  expiresAt!: Date;

  @Field({ description: 'True for the session that sends this request.' })
  current!: boolean;

  @Field(() => [SessionFlag])
  flags!: SessionFlag[];
}

/** The place columns a session or audit event stores, as the GraphQL Location. */
export function toLocation(place: GeoLocation): Location {
  const { countryCode, country, region, city } = place;
  return Object.assign(new Location(), { countryCode, country, region, city });
}

export function toSession(facts: SessionFacts, currentSessionId: string | null): Session {
  return Object.assign(new Session(), {
    id: facts.id,
    device: Object.assign(new Device(), {
      type: facts.deviceType,
      os: facts.deviceOs,
      browser: facts.deviceBrowser,
      model: facts.deviceModel,
      label: facts.deviceLabel,
      name: facts.deviceName ?? null,
      platform: facts.devicePlatform ?? null,
      appVersion: facts.deviceAppVersion ?? null,
    }),
    ipAddress: facts.ipAddress,
    location: toLocation(facts.place),
    createdAt: facts.createdAt,
    lastActiveAt: facts.lastActiveAt,
    expiresAt: facts.expiresAt,
    current: facts.id === currentSessionId,
    flags: facts.flags,
  });
}

@ObjectType()
export class SessionTerminatedEvent {
  @Field(() => ID)
  sessionId!: string;

  @Field(() => TerminationReason)
  reason!: TerminationReason;

  @Field()
  terminatedAt!: Date;

  @Field(() => Session, { nullable: true, description: 'The session that did it, when another session did.' })
  terminatedBy!: Session | null;
}

@ObjectType()
export class SessionsChangedEvent {
  @Field(() => SessionChangeKind)
  kind!: SessionChangeKind;

  @Field(() => [ID])
  sessionIds!: string[];
}

@ObjectType()
export class RevokeResult {
  @Field(() => Int)
  revokedCount!: number;

  @Field(() => [ID])
  revokedSessionIds!: string[];
}
