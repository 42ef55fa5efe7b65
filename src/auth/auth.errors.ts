import { BadUserInputError, InvalidCredentialsError, TwoFactorRequiredError } from '../common/errors';

/** `extensions.reason` values of registration, sign-in and email ownership (README "Errors"). */
const AuthReason = {
  /** Unknown address or wrong password: deliberately one reason, so it cannot tell which. */
  WRONG_CREDENTIALS: 'WRONG_CREDENTIALS',
  /** The password was right; the account has two-factor on and no code was given. */
  TWO_FACTOR_CODE_REQUIRED: 'TWO_FACTOR_CODE_REQUIRED',
  /** The password was right; the TOTP or recovery code was not (or was already used). */
  TWO_FACTOR_CODE_WRONG: 'TWO_FACTOR_CODE_WRONG',
  /** An email verification link that is unknown, used or expired. */
  LINK_INVALID: 'LINK_INVALID',
  /** verifyEmail: another account has already proved this address. */
  EMAIL_TAKEN: 'EMAIL_TAKEN',
} as const;

export const wrongCredentials = () => new InvalidCredentialsError(undefined, AuthReason.WRONG_CREDENTIALS);
export const twoFactorCodeRequired = () => new TwoFactorRequiredError(undefined, AuthReason.TWO_FACTOR_CODE_REQUIRED);
export const twoFactorCodeWrong = () => new InvalidCredentialsError('The two-factor code is not correct, or was already used.', AuthReason.TWO_FACTOR_CODE_WRONG);
export const verificationLinkInvalid = () => new BadUserInputError('This link is invalid, used or expired. Sign in and ask for a new one.', 'token', AuthReason.LINK_INVALID);
export const emailTaken = () => new BadUserInputError('This address belongs to another account that has proved it.', 'token', AuthReason.EMAIL_TAKEN);
