import { validate, type ValidationError } from 'class-validator';
import type { ResolverData } from 'type-graphql';
import { BadUserInputError } from './errors';

/**
 * No argument of this API needs more: tokens, codes, cursors and ids are short, passwords stop
 * at 128 and addresses at 254. Anything longer is refused before it reaches a hash or a query.
 */
const MAX_STRING_ARGUMENT_LENGTH = 1024;

// C0 controls but tab, LF and CR, and DEL: Postgres refuses NUL in text, and none belongs in an argument.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
// In a `u` regex a valid pair reads as one code point, so only unpaired halves match.
const LONE_SURROGATE = /\p{Cs}/u;

/** Why `value` cannot be taken as text, or undefined when it can. */
function hostility(value: string): string | undefined {
  if (value.length > MAX_STRING_ARGUMENT_LENGTH) return `is longer than ${MAX_STRING_ARGUMENT_LENGTH} characters`;
  if (CONTROL_CHARACTERS.test(value)) return 'contains a control character';
  // A lone surrogate cannot be stored as UTF-8 and would arrive as something else.
  if (LONE_SURROGATE.test(value)) return 'is not well-formed Unicode';
  return undefined;
}

/**
 * Throws BAD_USER_INPUT naming the first string, at any depth of `value`, that is not plain text.
 * `path` names it; fields inside an input object are named from inside it (`email`, not
 * `input.email`), as class-validator names them.
 */
function assertPlainText(value: unknown, path: string): void {
  if (typeof value === 'string') {
    const problem = hostility(value);
    if (problem) throw new BadUserInputError(`The value of ${path} ${problem}.`, path);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) assertPlainText(item, `${path}.${key}`);
  }
}

/** Every string among a field's arguments, however deep in input objects or lists, must be plain text. */
function assertPlainTextArguments(args: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(args)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, item] of Object.entries(value)) assertPlainText(item, key);
    } else {
      assertPlainText(value, name);
    }
  }
}

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

const checkedArguments = new WeakSet<object>();

/**
 * type-graphql's validateFn, called for every argument of every resolver before it runs: every
 * string argument and input field must be plain text (one check for the whole API, so a new
 * resolver cannot forget it), then class-validator rules on input classes, reported as one
 * clear BAD_USER_INPUT.
 */
export async function validateInput(argValue: unknown, _argType?: unknown, resolverData?: ResolverData): Promise<void> {
  // The raw arguments carry their names; called once per argument, they are checked once per field.
  const args = resolverData?.args;
  if (args && !checkedArguments.has(args)) {
    checkedArguments.add(args);
    assertPlainTextArguments(args);
  }
  if (argValue === null || typeof argValue !== 'object') return;
  const errors = await validate(argValue, { forbidUnknownValues: false, validationError: { target: false } });
  const first = firstMessage(errors);
  if (first) throw new BadUserInputError(first.message, first.field);
}
