import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Location, toLocation } from '../devices/location.type';
import { AuditEventType, type AuditEventEntity } from './audit-event.entity';
import { encodeCursor } from './audit-log.service';

registerEnumType(AuditEventType, {
  name: 'AuditEventType',
  valuesConfig: {
    SESSION_EXPIRED: { description: 'A session reached its expiresAt and was ended.' },
    CONFIRMATION_FAILED: { description: 'A wrong password, code or recovery code was given to confirm an action.' },
    ACCOUNT_RECLAIMED: { description: 'The owner of the address proved the mailbox and took the address from this unverified account.' },
    ADMIN_SESSIONS_REVOKED: { description: "The app's support staff ended sessions of this account (deviceLabel names the service client)." },
    ADMIN_ACCOUNT_VIEWED: { description: "The app's support staff looked up this account or its sessions (deviceLabel names the service client)." },
  },
});

@ObjectType()
export class AuditEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => AuditEventType)
  type!: AuditEventType;

  @Field()
  at!: Date;

  @Field(() => ID, { nullable: true, description: 'The session that acted; null for LOGIN_FAILED, resets and emailed links.' })
  actorSessionId!: string | null;

  @Field()
  ipAddress!: string;

  @Field(() => Location)
  location!: Location;

  @Field()
  deviceLabel!: string;

  @Field(() => [ID])
  targetSessionIds!: string[];
}

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType()
export class AuditEventEdge {
  @Field(() => AuditEvent)
  node!: AuditEvent;

  @Field()
  cursor!: string;
}

@ObjectType()
export class AuditEventConnection {
  @Field(() => [AuditEventEdge])
  edges!: AuditEventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

function toAuditEvent(entity: AuditEventEntity): AuditEvent {
  return {
    id: entity.id,
    type: entity.type,
    at: entity.at,
    actorSessionId: entity.actorSessionId,
    ipAddress: entity.ipAddress,
    location: toLocation(entity.place),
    deviceLabel: entity.deviceLabel,
    targetSessionIds: entity.targetSessionIds,
  } satisfies AuditEvent;
}

export function toConnection(events: AuditEventEntity[], hasNextPage: boolean): AuditEventConnection {
  const edges = events.map((event) => ({ node: toAuditEvent(event), cursor: encodeCursor(event) }) satisfies AuditEventEdge);
  return {
    edges,
    pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } satisfies PageInfo,
  } satisfies AuditEventConnection;
}
