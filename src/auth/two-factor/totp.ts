import { generate, generateSecret, generateURI, verify } from 'otplib';

/**
 * Time-based one-time passwords (RFC 6238) as every authenticator app does them: SHA-1, 6 digits,
 * 30-second steps. The algorithm is otplib's; this file only fixes the parameters and the policy
 * (clock drift, replay).
 */

/** The name authenticator apps show next to the account. */
export const TOTP_ISSUER = 'signoff';
export const TOTP_PERIOD_SECONDS = 30;

/** How far apart the phone's clock and ours may be, in steps either way. */
const DRIFT_STEPS = 1;

export type TotpVerification = { ok: true; step: number } | { ok: false };

/** A fresh shared secret, base32, 160 random bits (RFC 4226's recommended length). */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The `otpauth://totp/...` URI an authenticator app scans from a QR code. */
export function totpUri(options: { secret: string; accountName: string; issuer?: string }): string {
  return generateURI({ issuer: options.issuer ?? TOTP_ISSUER, label: options.accountName, secret: options.secret });
}

/** The RFC 6238 time step `now` falls in. */
export function totpStep(now: Date = new Date()): number {
  return Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/**
 * Checks `code` against the current step and one step either side (clock drift). A step at or
 * before `lastUsedStep` never verifies, so a code cannot be used twice, nor an older code after a
 * newer one: store the returned `step` as the next call's `lastUsedStep`.
 *
 * Spaces are ignored ("123 456"); anything but 6 digits fails without touching the secret.
 * Throws only on a caller's mistake: a malformed `secret` (not base32, under 128 bits) or a
 * non-integer `lastUsedStep`.
 */
export async function verifyTotp(secret: string, code: string, options: { lastUsedStep: number | null; now?: Date }): Promise<TotpVerification> {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return { ok: false };
  const now = options.now ?? new Date();
  const { lastUsedStep } = options;
  if (lastUsedStep !== null && !Number.isSafeInteger(lastUsedStep)) throw new TypeError('lastUsedStep must be an integer or null');
  // Every step we would accept is already used; otplib also refuses (throws on) a bound past its window.
  if (lastUsedStep !== null && lastUsedStep >= totpStep(now) + DRIFT_STEPS) return { ok: false };
  const result = await verify({
    secret,
    token,
    epoch: Math.floor(now.getTime() / 1000),
    period: TOTP_PERIOD_SECONDS,
    // In seconds: one full period either way reaches exactly the neighbouring steps.
    epochTolerance: DRIFT_STEPS * TOTP_PERIOD_SECONDS,
    // Every real step is positive, so a negative bound rules nothing out (and otplib rejects it).
    afterTimeStep: lastUsedStep !== null && lastUsedStep >= 0 ? lastUsedStep : undefined,
  });
  if (!result.valid) return { ok: false };
  // otplib's verify also serves HOTP, whose result has no time step; ours is always TOTP.
  if (!('timeStep' in result)) throw new Error('otplib returned a TOTP verification without its time step');
  return { ok: true, step: result.timeStep };
}

/** The code an authenticator app would show at `now` (tests, and nothing else). */
export function currentTotpCode(secret: string, now: Date = new Date()): Promise<string> {
  return generate({ secret, epoch: Math.floor(now.getTime() / 1000), period: TOTP_PERIOD_SECONDS });
}
