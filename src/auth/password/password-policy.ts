import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth.input';
import { passwordLength, passwordTooWeak } from './password.errors';

/**
 * zxcvbn's score runs 0 (guessable in under 10^3 tries) to 4 (over 10^10). 3 is "safely
 * unguessable" (10^8 or more): it refuses the common-passwords list and its variants (l33t,
 * reversed, repeated, keyboard walks, dates) while a few ordinary words in a row pass.
 */
const MIN_PASSWORD_SCORE = 3;

// Built once at start: the dictionaries are large and ranking them is most of zxcvbn's cost.
const strength = new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });

/**
 * The rule for every new password (register, changePassword, resetPassword): 10 to 128
 * characters and a zxcvbn score of at least 3, also against the account's own address.
 * Throws BAD_USER_INPUT on `field` otherwise.
 */
export function assertAcceptablePassword(password: string, field: string, context: { email?: string } = {}): void {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw passwordLength(field);
  }
  const userInputs = context.email ? [context.email, context.email.split('@')[0] ?? '', ...context.email.split(/[@.+_-]/)].filter((part) => part.length > 2) : [];
  if (strength.check(password, userInputs).score < MIN_PASSWORD_SCORE) {
    throw passwordTooWeak(field);
  }
}
