import { BadUserInputError } from '../common/errors';

/** `extensions.reason` values of the audit log (README "Errors"). */
const AuditReason = {
  PAGE_SIZE_OUT_OF_RANGE: 'PAGE_SIZE_OUT_OF_RANGE',
  /** `after` is not a cursor this list handed out. */
  CURSOR_INVALID: 'CURSOR_INVALID',
} as const;

export const pageSizeOutOfRange = (max: number) => new BadUserInputError(`first must be between 1 and ${max}.`, 'first', AuditReason.PAGE_SIZE_OUT_OF_RANGE);
export const cursorInvalid = () => new BadUserInputError('after is not a cursor from this list.', 'after', AuditReason.CURSOR_INVALID);
