import type { SessionEntity, TerminationReason } from './session.entity';

/** The parts of a session that can be shown to its owner: never the token hash. */
export type SessionFacts = Pick<
  SessionEntity,
  | 'id'
  | 'deviceType'
  | 'deviceOs'
  | 'deviceBrowser'
  | 'deviceModel'
  | 'deviceLabel'
  | 'deviceName'
  | 'devicePlatform'
  | 'deviceAppVersion'
  | 'ipAddress'
  | 'place'
  | 'flags'
  | 'createdAt'
  | 'lastActiveAt'
  | 'expiresAt'
>;

/** SessionFacts as JSON: Dates become ISO strings on the bus. */
export type SessionSnapshot = Omit<SessionFacts, 'createdAt' | 'lastActiveAt' | 'expiresAt'> & {
  createdAt: string;
  lastActiveAt: string;
  expiresAt: string;
};

/** What crosses instances when an account's session list changes. */
export type SessionBusEvent =
  | {
      type: 'SESSIONS_ENDED';
      userId: string;
      sessionIds: string[];
      reason: TerminationReason;
      terminatedAt: string;
      /** The session that did it, when it was another session of the account. */
      terminatedBy: SessionSnapshot | null;
      /** Set when the ending waits for every instance's cache to drop the sessions (ADR 0004). */
      ackId?: string;
    }
  | { type: 'SESSION_ADDED'; userId: string; sessionId: string };

export function snapshotOf(session: SessionFacts): SessionSnapshot {
  return {
    id: session.id,
    deviceType: session.deviceType,
    deviceOs: session.deviceOs,
    deviceBrowser: session.deviceBrowser,
    deviceModel: session.deviceModel,
    deviceLabel: session.deviceLabel,
    deviceName: session.deviceName ?? null,
    devicePlatform: session.devicePlatform ?? null,
    deviceAppVersion: session.deviceAppVersion ?? null,
    ipAddress: session.ipAddress,
    place: { ...session.place },
    flags: session.flags,
    createdAt: session.createdAt.toISOString(),
    lastActiveAt: session.lastActiveAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
  };
}

export function factsFromSnapshot(snapshot: SessionSnapshot): SessionFacts {
  return {
    ...snapshot,
    createdAt: new Date(snapshot.createdAt),
    lastActiveAt: new Date(snapshot.lastActiveAt),
    expiresAt: new Date(snapshot.expiresAt),
  };
}
