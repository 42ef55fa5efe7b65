import { BadUserInputError, InvalidConfirmationError } from '../../common/errors';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth.input';

/** `extensions.reason` values of password change, reset and policy (README "Errors"). */
const PasswordReason = {
  /** changePassword: the current password is not correct (the caller is signed in to the account). */
  WRONG_PASSWORD: 'WRONG_PASSWORD',
  /** A reset link that is unknown, used or expired. */
  LINK_INVALID: 'LINK_INVALID',
  /** A new password outside 10 to 128 characters. */
  PASSWORD_LENGTH: 'PASSWORD_LENGTH',
  /** A new password too common or too easy to guess (zxcvbn score under 3). */
  PASSWORD_TOO_WEAK: 'PASSWORD_TOO_WEAK',
} as const;

export const wrongCurrentPassword = () => new InvalidConfirmationError('The current password is not correct.', PasswordReason.WRONG_PASSWORD);
export const resetLinkInvalid = () => new BadUserInputError('This reset link is invalid, used or expired. Ask for a new one.', 'token', PasswordReason.LINK_INVALID);
export const passwordLength = (field: string) =>
  new BadUserInputError(`Password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.`, field, PasswordReason.PASSWORD_LENGTH);
export const passwordTooWeak = (field: string) =>
  new BadUserInputError('This password is too common or too easy to guess. Try a few unrelated words, or a longer one.', field, PasswordReason.PASSWORD_TOO_WEAK);
