import { BadUserInputError, InvalidConfirmationError, RateLimitedError, StepUpRequiredError, type ConfirmationMethod } from '../../common/errors';

/** `extensions.reason` values of step-up confirmation (README "Errors"). */
const StepUpReason = {
  /** A sensitive action needs a fresh confirmation (`methods` says which ones count). */
  STEP_UP_REQUIRED: 'STEP_UP_REQUIRED',
  /** None, or more than one, of password, otp and emailCode was given. */
  CONFIRMATION_AMBIGUOUS: 'CONFIRMATION_AMBIGUOUS',
  /** This method cannot confirm this action (a TOTP code to turn two-factor on). */
  CONFIRMATION_METHOD_REFUSED: 'CONFIRMATION_METHOD_REFUSED',
  /** A two-factor app set up less than 24 hours ago cannot confirm signing other devices out. */
  TWO_FACTOR_TOO_NEW: 'TWO_FACTOR_TOO_NEW',
  /** The password, code or emailed code is not correct (the same reason for each). */
  CONFIRMATION_WRONG: 'CONFIRMATION_WRONG',
  /** requestConfirmationCode: this address was sent its share of codes for now. */
  EMAIL_CODE_CAPPED: 'EMAIL_CODE_CAPPED',
} as const;

export const stepUpRequired = (methods: ConfirmationMethod[], warning: string) => new StepUpRequiredError(methods, warning, StepUpReason.STEP_UP_REQUIRED);
export const confirmationAmbiguous = () => new BadUserInputError('Give exactly one of password, otp or emailCode.', 'confirmation', StepUpReason.CONFIRMATION_AMBIGUOUS);
export const totpCannotTurnOnTwoFactor = () =>
  new BadUserInputError('Confirm with your password or an emailed code to turn on two-factor authentication.', 'confirmation', StepUpReason.CONFIRMATION_METHOD_REFUSED);
export const twoFactorTooNew = (hours: number) =>
  new InvalidConfirmationError(
    `A two-factor app set up less than ${hours} hours ago cannot sign other devices out. Confirm with your password or an emailed code.`,
    StepUpReason.TWO_FACTOR_TOO_NEW,
  );
export const confirmationWrong = () => new InvalidConfirmationError(undefined, StepUpReason.CONFIRMATION_WRONG);
export const emailCodeCapped = (retryAfterSeconds: number) => new RateLimitedError(retryAfterSeconds, StepUpReason.EMAIL_CODE_CAPPED);
