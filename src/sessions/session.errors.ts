import { NotFoundError, UnauthenticatedError } from '../common/errors';

/** `extensions.reason` values of the session surface (README "Errors"). */
const SessionReason = {
  /** No live session, or its account is gone: the token is missing, unknown, expired or revoked. */
  SIGN_IN_REQUIRED: 'SIGN_IN_REQUIRED',
  /** No such live session *of this account* (another account's id answers the same). */
  SESSION_NOT_FOUND: 'SESSION_NOT_FOUND',
} as const;

export const signInRequired = () => new UnauthenticatedError(undefined, SessionReason.SIGN_IN_REQUIRED);
export const sessionNotFound = () => new NotFoundError(undefined, SessionReason.SESSION_NOT_FOUND);
