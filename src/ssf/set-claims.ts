import type { JWTPayload } from 'jose';
import { TerminationReason } from '../sessions/session.entity';
import { IDLE_TIMEOUT, OutboxEventKind } from './ssf-outbox.service';

/** CAEP 1.0 session-revoked. */
const CAEP_SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
/** SSF 1.0 verification event. */
const SSF_VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

/** The events a stream can ask for; verification is always delivered and never listed (SSF 1.0 §7.1.4). */
export const EVENTS_SUPPORTED = [CAEP_SESSION_REVOKED];

type InitiatingEntity = 'admin' | 'user' | 'policy' | 'system';

interface ReasonText {
  initiating: InitiatingEntity;
  /** For the receiver's operators. */
  admin: string;
  /** Could be shown to the person. */
  user: string;
}

/** Our reason codes in CAEP terms; IDLE_TIMEOUT tells the idle limit from the lifetime (both EXPIRED here). */
const REASONS: Record<TerminationReason | typeof IDLE_TIMEOUT, ReasonText> = {
  [TerminationReason.LOGOUT]: { initiating: 'user', admin: 'LOGOUT: the session signed itself out', user: 'You signed out.' },
  [TerminationReason.REVOKED]: { initiating: 'user', admin: 'REVOKED: another session of the account ended it', user: 'You signed this device out from another device.' },
  [TerminationReason.SIGNED_OUT_EVERYWHERE]: {
    initiating: 'user',
    admin: 'SIGNED_OUT_EVERYWHERE: another session of the account ended all others',
    user: 'You signed out of your other devices.',
  },
  [TerminationReason.PASSWORD_CHANGED]: { initiating: 'user', admin: 'PASSWORD_CHANGED: the password was changed', user: 'Your password was changed.' },
  [TerminationReason.PASSWORD_RESET]: { initiating: 'user', admin: 'PASSWORD_RESET: the password was reset by email', user: 'Your password was reset.' },
  [TerminationReason.REPORTED_UNRECOGNIZED]: {
    initiating: 'user',
    admin: 'REPORTED_UNRECOGNIZED: the owner reported this sign-in as not theirs',
    user: 'You reported this sign-in as not yours.',
  },
  [TerminationReason.EXPIRED]: { initiating: 'policy', admin: 'EXPIRED: the session reached its maximum lifetime', user: 'Your session expired.' },
  [IDLE_TIMEOUT]: { initiating: 'policy', admin: 'IDLE_TIMEOUT: the session was unused past the idle timeout', user: 'You were signed out after a period of inactivity.' },
  [TerminationReason.ACCOUNT_RECLAIMED]: {
    initiating: 'policy',
    admin: 'ACCOUNT_RECLAIMED: the owner of the email address took it from this unverified account',
    user: 'The owner of this email address claimed it.',
  },
  [TerminationReason.ADMIN_REVOKED]: { initiating: 'admin', admin: 'ADMIN_REVOKED: ended by support staff', user: 'Support staff signed you out.' },
};

export interface OutboxRow {
  seq: string;
  stream_id: string;
  jti: string;
  event_type: OutboxEventKind;
  session_id: string | null;
  user_id: string | null;
  reason: string | null;
  payload: string | null;
  event_at: Date | string;
}

function asDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(/[zZ+]/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
}

/**
 * The SET's claims (RFC 8417, SSF 1.0, CAEP 1.0). Built from the outbox row at delivery time, so a
 * retried SET is the same SET (same jti, iat, claims); only the signature bytes may differ.
 */
export function setClaims(row: OutboxRow, issuer: string, audience: string): JWTPayload {
  const at = asDate(row.event_at);
  const base = { iss: issuer, jti: row.jti, iat: Math.floor(at.getTime() / 1000), aud: audience };
  if (row.event_type === OutboxEventKind.VERIFICATION) {
    const state = row.payload ? (JSON.parse(row.payload) as { state?: string }).state : undefined;
    return { ...base, sub_id: { format: 'opaque', id: row.stream_id }, events: { [SSF_VERIFICATION]: state === undefined ? {} : { state } } };
  }
  const reason = REASONS[(row.reason ?? TerminationReason.REVOKED) as keyof typeof REASONS] ?? REASONS[TerminationReason.REVOKED];
  const note = row.payload ? (JSON.parse(row.payload) as { note?: string }).note : undefined;
  return {
    ...base,
    sub_id: {
      format: 'complex',
      session: { format: 'opaque', id: row.session_id },
      user: { format: 'opaque', id: row.user_id },
    },
    events: {
      [CAEP_SESSION_REVOKED]: {
        event_timestamp: Math.floor(at.getTime() / 1000),
        initiating_entity: reason.initiating,
        reason_admin: { en: note ? `${reason.admin}: ${note}` : reason.admin },
        reason_user: { en: reason.user },
      },
    },
  };
}
