import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptLimiter, LimiterFactory } from '../common/rate-limit';

/** Failures on one address before its attempts start to slow down. */
const FREE_FAILURES_PER_ADDRESS = 5;
/** The slowdown doubles from this with each further failure on the address... */
const FIRST_DELAY_MS = 250;
/** ...up to this: the most the owner ever waits to sign in while someone guesses at the address. */
export const MAX_DELAY_MS = 2000;

/** How long an attempt on an address waits, given the failures the address has had in the window. */
function delayForFailures(failures: number): number {
  if (failures < FREE_FAILURES_PER_ADDRESS) return 0;
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (failures - FREE_FAILURES_PER_ADDRESS));
}

/**
 * Failed sign-ins, counted so that guessing is slow but the owner is never locked out:
 * - per IP: a hard limit on one source guessing across many addresses;
 * - per (address, IP): a hard limit on one source guessing one address;
 * - per address, from anywhere: no refusal, only a progressive delay (a timer, held by no
 *   connection) before the password is checked, bounded by MAX_DELAY_MS, so guesses spread over
 *   many IPs slow down while the owner, from their own IP and with the right password, gets in.
 * Keys carry the password's generation (when it last changed): a reset or change makes guesses
 * at the old password stop counting, which lifts the slowdown and the (address, IP) limits.
 * Counts are shared by every instance through Redis (per-instance while Redis is away).
 */
export class SignInThrottle {
  constructor(private readonly limits: SignInLimits) {}

  /** Throws RATE_LIMITED when this IP may not try (this address) now; otherwise waits out the address's delay. */
  async beforeAttempt(address: string, ip: string): Promise<void> {
    const { perIp, perAddressAndIp, perAddress } = this.limits;
    const [, , failures] = await Promise.all([perIp.assertAllowed(ip), perAddressAndIp.assertAllowed(pairKey(address, ip)), perAddress.count(address)]);
    const delay = delayForFailures(failures);
    if (delay > 0) await sleep(delay);
  }

  async failed(address: string, ip: string): Promise<void> {
    const { perIp, perAddressAndIp, perAddress } = this.limits;
    await Promise.all([perIp.recordFailure(ip), perAddressAndIp.recordFailure(pairKey(address, ip)), perAddress.recordFailure(address)]);
  }

  /** A right password from this IP clears its (address, IP) count; the address's slowdown runs out with its window. */
  async succeeded(address: string, ip: string): Promise<void> {
    await this.limits.perAddressAndIp.reset(pairKey(address, ip));
  }
}

export interface SignInLimits {
  perIp: AttemptLimiter;
  perAddressAndIp: AttemptLimiter;
  perAddress: AttemptLimiter;
}

const FIFTEEN_MINUTES = 15 * 60;

/**
 * Per IP: wide, since offices and carriers share addresses. Per (address, IP): one source guessing one
 * account. Per address: never a refusal, only a bounded slowdown (see SignInThrottle).
 */
export function signInLimits(limiter: LimiterFactory): SignInLimits {
  return {
    perIp: limiter('login-ip', { points: 100, windowSeconds: FIFTEEN_MINUTES }),
    perAddressAndIp: limiter('login-address-ip', { points: 10, windowSeconds: FIFTEEN_MINUTES }),
    perAddress: limiter('login-address', { points: 1_000_000, windowSeconds: FIFTEEN_MINUTES, blockSeconds: 0 }),
  };
}

/**
 * The key that sign-in failures on `email` count under: the address with its password generation
 * (`passwordChangedAt`), or with none for an address that has no account, so both look alike.
 */
export function throttleKey(email: string, passwordChangedAt: Date | null | undefined): string {
  return `${passwordChangedAt ? passwordChangedAt.getTime() : 0}:${email}`;
}

function pairKey(address: string, ip: string): string {
  return `${ip}|${address}`;
}
