import { BadUserInputError, InvalidConfirmationError } from '../../common/errors';

/** `extensions.reason` values of two-factor setup (README "Errors"). */
const TwoFactorReason = {
  /** Two-factor needs a proven address first (the emailed verification link). */
  EMAIL_NOT_VERIFIED: 'EMAIL_NOT_VERIFIED',
  TWO_FACTOR_ALREADY_ON: 'TWO_FACTOR_ALREADY_ON',
  TWO_FACTOR_NOT_ON: 'TWO_FACTOR_NOT_ON',
  /** confirmTotpSetup without a beginTotpSetup before it. */
  TWO_FACTOR_SETUP_NOT_STARTED: 'TWO_FACTOR_SETUP_NOT_STARTED',
  /** confirmTotpSetup: the code from the app is not correct. */
  TWO_FACTOR_CODE_WRONG: 'TWO_FACTOR_CODE_WRONG',
} as const;

export const emailNotVerified = (message: string) => new BadUserInputError(message, 'email', TwoFactorReason.EMAIL_NOT_VERIFIED);
export const twoFactorAlreadyOn = (message: string) => new BadUserInputError(message, undefined, TwoFactorReason.TWO_FACTOR_ALREADY_ON);
export const twoFactorNotOn = () => new BadUserInputError('Two-factor authentication is not on.', undefined, TwoFactorReason.TWO_FACTOR_NOT_ON);
export const setupNotStarted = () => new BadUserInputError('Start with beginTotpSetup.', undefined, TwoFactorReason.TWO_FACTOR_SETUP_NOT_STARTED);
export const setupCodeWrong = () =>
  new InvalidConfirmationError('That code is not correct. Check the time on your device and try the newest code.', TwoFactorReason.TWO_FACTOR_CODE_WRONG);
