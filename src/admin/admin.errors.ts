import { NotFoundError, UnauthenticatedError } from '../common/errors';

/** `extensions.reason` values of the admin surface (README "Errors"). */
const AdminReason = {
  /** The token is not a service client's access token holding the `admin` scope. */
  ADMIN_SCOPE_REQUIRED: 'ADMIN_SCOPE_REQUIRED',
  USER_NOT_FOUND: 'USER_NOT_FOUND',
  SESSION_NOT_FOUND: 'SESSION_NOT_FOUND',
} as const;

export const adminScopeRequired = () => new UnauthenticatedError('This needs a service client access token with the admin scope.', AdminReason.ADMIN_SCOPE_REQUIRED);
export const userNotFound = () => new NotFoundError('No such user.', AdminReason.USER_NOT_FOUND);
export const adminSessionNotFound = () => new NotFoundError(undefined, AdminReason.SESSION_NOT_FOUND);
