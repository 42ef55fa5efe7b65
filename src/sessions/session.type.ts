import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Device } from '../devices/device.type';
import { Location, toLocation } from '../devices/location.type';
import { SessionFlag, TerminationReason } from './session.entity';
import type { SessionFacts } from './session-events';

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

export function toSession(facts: SessionFacts, currentSessionId: string | null): Session {
  return {
    id: facts.id,
    device: {
      type: facts.deviceType,
      os: facts.deviceOs,
      browser: facts.deviceBrowser,
      model: facts.deviceModel,
      label: facts.deviceLabel,
      name: facts.deviceName ?? null,
      platform: facts.devicePlatform ?? null,
      appVersion: facts.deviceAppVersion ?? null,
    } satisfies Device,
    ipAddress: facts.ipAddress,
    location: toLocation(facts.place),
    createdAt: facts.createdAt,
    lastActiveAt: facts.lastActiveAt,
    expiresAt: facts.expiresAt,
    current: facts.id === currentSessionId,
    flags: facts.flags,
  } satisfies Session;
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
