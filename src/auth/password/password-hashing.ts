import { randomBytes } from 'node:crypto';
import { Algorithm, hash, verify } from '@node-rs/argon2';

/** OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane). */
const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/**
 * A real argon2id hash, with the same parameters as every account's, of a random secret nobody
 * knows: made once when the process starts (not on the first unknown address, which would then
 * take twice as long), so verifying against it costs what a real verification costs.
 */
const decoyHash: Promise<string> = hashPassword(randomBytes(32).toString('base64url'));

/**
 * Burns the same time as a real verification when there is no account to check against,
 * so a login's timing does not tell whether an email is registered.
 */
export async function verifyAgainstDecoy(password: string): Promise<false> {
  await verifyPassword(await decoyHash, password);
  return false;
}
