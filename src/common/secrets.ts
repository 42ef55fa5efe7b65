import { createHash, randomBytes, randomInt } from 'node:crypto';

/** 256 random bits, URL-safe; `prefix` tells a leaked secret's kind at a glance (and to secret scanners). */
export function newOpaqueToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** Tokens are stored only as this hash: a database leak yields no usable token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A short numeric code for people to type (email confirmation). */
export function newNumericCode(digits: number): string {
  return String(randomInt(0, 10 ** digits)).padStart(digits, '0');
}
