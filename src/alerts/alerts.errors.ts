import { BadUserInputError } from '../common/errors';

/** `extensions.reason` values of sign-in alerts (README "Errors"). */
const AlertsReason = {
  /** A "this wasn't me" link that is unknown, used, expired, or whose session already ended. */
  LINK_INVALID: 'LINK_INVALID',
} as const;

export const reportLinkInvalid = () => new BadUserInputError('This link is invalid, used or expired.', 'token', AlertsReason.LINK_INVALID);
