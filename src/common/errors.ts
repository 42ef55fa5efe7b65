import { GraphQLError } from 'graphql';

/**
 * Every error a client can see carries one of these codes in `extensions.code`
 * (the list is part of the public contract, see README "Errors").
 */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  STEP_UP_REQUIRED = 'STEP_UP_REQUIRED',
  INVALID_CONFIRMATION = 'INVALID_CONFIRMATION',
  INVALID_CREDENTIALS = 'INVALID_CREDENTIALS',
  TWO_FACTOR_REQUIRED = 'TWO_FACTOR_REQUIRED',
  RATE_LIMITED = 'RATE_LIMITED',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

/**
 * Why, within a code: a stable name a client can branch on (`extensions.reason`), never message text.
 * Each feature names its own in `<feature>.errors.ts` (see README "Errors"); a reason must never tell
 * more than the code and message already do (no "unknown email" next to "wrong password").
 */
export type ErrorReason = Uppercase<string>;

/** Base of every error we throw on purpose; anything else is masked as INTERNAL_SERVER_ERROR. */
export abstract class SignoffError extends GraphQLError {
  abstract readonly code: ErrorCode;
  readonly reason: ErrorReason | undefined;
  protected constructor(message: string, code: ErrorCode, extensions: Record<string, unknown> = {}, reason?: ErrorReason) {
    super(message, { extensions: { code, ...(reason ? { reason } : {}), ...extensions } });
    this.reason = reason;
  }
}

export class UnauthenticatedError extends SignoffError {
  readonly code = ErrorCode.UNAUTHENTICATED;
  constructor(message = 'Sign in to continue: the session token is missing, unknown, expired or revoked.', reason?: ErrorReason) {
    super(message, ErrorCode.UNAUTHENTICATED, {}, reason);
  }
}

export class BadUserInputError extends SignoffError {
  readonly code = ErrorCode.BAD_USER_INPUT;
  constructor(message: string, field?: string, reason?: ErrorReason) {
    super(message, ErrorCode.BAD_USER_INPUT, field ? { field } : {}, reason);
  }
}

export class NotFoundError extends SignoffError {
  readonly code = ErrorCode.NOT_FOUND;
  constructor(message = 'No such session on this account.', reason?: ErrorReason) {
    super(message, ErrorCode.NOT_FOUND, {}, reason);
  }
}

export type ConfirmationMethod = 'PASSWORD' | 'TOTP' | 'EMAIL_CODE';

export class StepUpRequiredError extends SignoffError {
  readonly code = ErrorCode.STEP_UP_REQUIRED;
  constructor(methods: ConfirmationMethod[], warning: string, reason?: ErrorReason) {
    super('Confirm it is you to continue.', ErrorCode.STEP_UP_REQUIRED, { methods, warning }, reason);
  }
}

export class InvalidConfirmationError extends SignoffError {
  readonly code = ErrorCode.INVALID_CONFIRMATION;
  constructor(message = 'The confirmation is not correct.', reason?: ErrorReason) {
    super(message, ErrorCode.INVALID_CONFIRMATION, {}, reason);
  }
}

export class InvalidCredentialsError extends SignoffError {
  readonly code = ErrorCode.INVALID_CREDENTIALS;
  constructor(message = 'Email or password is incorrect.', reason?: ErrorReason) {
    super(message, ErrorCode.INVALID_CREDENTIALS, {}, reason);
  }
}

export class TwoFactorRequiredError extends SignoffError {
  readonly code = ErrorCode.TWO_FACTOR_REQUIRED;
  constructor(message = 'Enter the code from your authenticator app, or a recovery code.', reason?: ErrorReason) {
    super(message, ErrorCode.TWO_FACTOR_REQUIRED, {}, reason);
  }
}

export class RateLimitedError extends SignoffError {
  readonly code = ErrorCode.RATE_LIMITED;
  constructor(retryAfterSeconds: number, reason?: ErrorReason) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(
      `Too many attempts. Try again in ${seconds} seconds.`,
      ErrorCode.RATE_LIMITED,
      {
        retryAfterSeconds: seconds,
      },
      reason,
    );
  }
}

/**
 * A store this request needs (the database) did not answer in time or could not be reached: try
 * again shortly. On HTTP, a request whose token could not be checked answers 503 (`extensions.http`
 * is read by Apollo and never sent).
 */
export class ServiceUnavailableError extends SignoffError {
  readonly code = ErrorCode.SERVICE_UNAVAILABLE;
  constructor(message = 'The service cannot reach its database right now. Please try again shortly.') {
    super(message, ErrorCode.SERVICE_UNAVAILABLE, { http: { status: 503 } });
  }
}
