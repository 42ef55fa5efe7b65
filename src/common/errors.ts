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

/** Base of every error we throw on purpose; anything else is masked as INTERNAL_SERVER_ERROR. */
export abstract class SignoffError extends GraphQLError {
  abstract readonly code: ErrorCode;
  protected constructor(message: string, code: ErrorCode, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
  }
}

export class UnauthenticatedError extends SignoffError {
  readonly code = ErrorCode.UNAUTHENTICATED;
  constructor(message = 'Sign in to continue: the session token is missing, unknown, expired or revoked.') {
    super(message, ErrorCode.UNAUTHENTICATED);
  }
}

export class BadUserInputError extends SignoffError {
  readonly code = ErrorCode.BAD_USER_INPUT;
  constructor(message: string, field?: string) {
    super(message, ErrorCode.BAD_USER_INPUT, field ? { field } : {});
  }
}

export class NotFoundError extends SignoffError {
  readonly code = ErrorCode.NOT_FOUND;
  constructor(message = 'No such session on this account.') {
    super(message, ErrorCode.NOT_FOUND);
  }
}

export type ConfirmationMethod = 'PASSWORD' | 'TOTP' | 'EMAIL_CODE';

export class StepUpRequiredError extends SignoffError {
  readonly code = ErrorCode.STEP_UP_REQUIRED;
  constructor(methods: ConfirmationMethod[], warning: string) {
    super('Confirm it is you to continue.', ErrorCode.STEP_UP_REQUIRED, { methods, warning });
  }
}

export class InvalidConfirmationError extends SignoffError {
  readonly code = ErrorCode.INVALID_CONFIRMATION;
  constructor(message = 'The confirmation is not correct.') {
    super(message, ErrorCode.INVALID_CONFIRMATION);
  }
}

export class InvalidCredentialsError extends SignoffError {
  readonly code = ErrorCode.INVALID_CREDENTIALS;
  constructor(message = 'Email or password is incorrect.') {
    super(message, ErrorCode.INVALID_CREDENTIALS);
  }
}

export class TwoFactorRequiredError extends SignoffError {
  readonly code = ErrorCode.TWO_FACTOR_REQUIRED;
  constructor(message = 'Enter the code from your authenticator app, or a recovery code.') {
    super(message, ErrorCode.TWO_FACTOR_REQUIRED);
  }
}

export class RateLimitedError extends SignoffError {
  readonly code = ErrorCode.RATE_LIMITED;
  constructor(retryAfterSeconds: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(`Too many attempts. Try again in ${seconds} seconds.`, ErrorCode.RATE_LIMITED, {
      retryAfterSeconds: seconds,
    });
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
