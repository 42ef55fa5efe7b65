import { validate, type ValidationError } from 'class-validator';
import { BadUserInputError } from './errors';

function firstMessage(errors: ValidationError[], parent = ''): { field: string; message: string } | undefined {
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const message = error.constraints && Object.values(error.constraints)[0];
    if (message) return { field, message };
    const nested = error.children && firstMessage(error.children, field);
    if (nested) return nested;
  }
  return undefined;
}

/** type-graphql's validateFn: class-validator rules on input classes, reported as one clear BAD_USER_INPUT. */
export async function validateInput(argValue: unknown): Promise<void> {
  if (argValue === null || typeof argValue !== 'object') return;
  const errors = await validate(argValue, { forbidUnknownValues: false, validationError: { target: false } });
  const first = firstMessage(errors);
  if (first) throw new BadUserInputError(first.message, first.field);
}
