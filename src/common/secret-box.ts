import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Encryption at rest for secrets the server must read back (TOTP shared secrets): AES-256-GCM
 * under one key every instance shares. A sealed value is `v1:` + base64url(nonce | tag |
 * ciphertext); the version prefix tells sealed values from plaintext written before encryption
 * existed, and leaves room for a new scheme or key. `purpose` is bound in as associated data,
 * so a value copied into another row or column does not open.
 */

const KEY_BYTES = 32;
const VERSION = 'v1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value that does not open: the key is not the one it was sealed with, or the value was altered. */
export class SecretBoxError extends Error {}

/** 32 bytes written as hex (64 digits) or base64/base64url (43 or 44 characters); undefined for anything else. */
export function parseSecretKey(raw: string): Buffer | undefined {
  const text = raw.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : /^[A-Za-z0-9+/_-]{43}={0,1}$/.test(text) ? Buffer.from(text, 'base64') : undefined;
  return key?.length === KEY_BYTES ? key : undefined;
}

export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new RangeError(`the key must be ${KEY_BYTES} bytes`);
    this.key = Buffer.from(key);
  }

  seal(plaintext: string, purpose: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce).setAAD(Buffer.from(purpose, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return VERSION + Buffer.concat([nonce, cipher.getAuthTag(), ciphertext]).toString('base64url');
  }

  /** True for values written before encryption: they open as themselves until sealed. */
  static isSealed(stored: string): boolean {
    return stored.startsWith(VERSION);
  }

  /** The plaintext of a sealed value (or a legacy plaintext value as is); throws SecretBoxError, never returns garbage. */
  open(stored: string, purpose: string): string {
    if (!SecretBox.isSealed(stored)) return stored;
    const packed = Buffer.from(stored.slice(VERSION.length), 'base64url');
    if (packed.length < NONCE_BYTES + TAG_BYTES) throw new SecretBoxError('sealed value is truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, packed.subarray(0, NONCE_BYTES))
        .setAAD(Buffer.from(purpose, 'utf8'))
        .setAuthTag(packed.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(packed.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('sealed value does not open with this SECRET_KEY (a different key, or an altered value)');
    }
  }
}

/**
 * SECRET_KEY when set (required with DATABASE_URL, see config). The embedded default keeps its
 * own key in `secret.key` next to the SQLite file, generated on first start; an in-memory
 * database gets a key that lives as long as it does.
 */
export function secretBoxFor(config: { secretKey?: Buffer | null; sqlitePath: string }): SecretBox {
  if (config.secretKey) return new SecretBox(config.secretKey);
  if (config.sqlitePath === ':memory:') return new SecretBox(randomBytes(KEY_BYTES));
  return new SecretBox(loadOrCreateKeyFile(join(dirname(config.sqlitePath), 'secret.key')));
}

/** Reads the key at `path`, or generates it there (mode 0600) when there is none. */
function loadOrCreateKeyFile(path: string): Buffer {
  try {
    writeFileSync(path, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  const key = parseSecretKey(readFileSync(path, 'utf8'));
  if (!key) throw new Error(`${path} does not hold a ${KEY_BYTES}-byte key (hex or base64); restore it, or set SECRET_KEY`);
  return key;
}
