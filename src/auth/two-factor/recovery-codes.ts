import { createHash, randomInt } from 'node:crypto';

/**
 * Single-use codes that stand in for the authenticator app when it is lost. Shown once, stored
 * only as {@link hashRecoveryCode} hashes.
 *
 * Format `xxxxx-xxxxx` over Crockford's base32 alphabet (digits and lowercase letters without
 * i, l, o, u): 10 symbols of 5 bits, 50 random bits per code. Input is read the Crockford way,
 * so o/O counts as 0 and i/I/l/L as 1: a code copied by hand still works.
 */

const RECOVERY_CODE_COUNT = 10;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const GROUP_LENGTH = 5;
const CODE_PATTERN = /^[0-9a-hjkmnp-tv-z]{10}$/;

/** `count` distinct codes, e.g. `k3v9q-7dmxa`. */
export function newRecoveryCodes(count: number = RECOVERY_CODE_COUNT): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 100) throw new RangeError('count must be an integer from 1 to 100');
  const codes = new Set<string>();
  while (codes.size < count) {
    let raw = '';
    for (let i = 0; i < 2 * GROUP_LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
    codes.add(`${raw.slice(0, GROUP_LENGTH)}-${raw.slice(GROUP_LENGTH)}`);
  }
  return [...codes];
}

/** Case, spaces and dashes do not matter; look-alike letters read as the digits they resemble. */
export function normalizeRecoveryCode(input: string): string {
  return input
    .toLowerCase()
    .replace(/[\s\-\u2010-\u2015\u2212]+/g, '')
    .replace(/o/g, '0')
    .replace(/[il]/g, '1');
}

/**
 * SHA-256 of the normalised code, hex. A fast hash is enough here, unlike for passwords: a code
 * is 50 random bits, not a human choice, so there is no dictionary to try and guessing online
 * is rate-limited; a code is also useless without the account's password.
 */
export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(normalizeRecoveryCode(code), 'utf8').digest('hex');
}

/** Tells a recovery code from a 6-digit TOTP code in the same `otp` field. */
export function looksLikeRecoveryCode(input: string): boolean {
  return input.length <= 64 && CODE_PATTERN.test(normalizeRecoveryCode(input));
}
