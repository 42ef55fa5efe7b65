/** Process configuration, parsed and validated once from the environment. */
export interface Config {
  /** TCP port for HTTP and WebSocket; 0 picks a free one (tests). */
  port: number;
  host: string;
  /** Postgres URL; absent means the embedded SQLite file at `sqlitePath`. */
  databaseUrl?: string;
  /** Postgres schema to use (tests give each suite a throwaway one). */
  databaseSchema?: string;
  sqlitePath: string;
  /** Redis URL; absent means in-process pub/sub and rate limits (single instance only). */
  redisUrl?: string;
  /** Prefix for every Redis key and channel, so several deployments can share one Redis. */
  redisPrefix: string;
  sessionTtlSeconds: number;
  /** How often an instance ends sessions that have reached `expiresAt`. */
  expirySweepSeconds: number;
  /** A live session's lastActiveAt is written at most this often (it costs a write per request otherwise). */
  activityWriteIntervalSeconds: number;
  stepUpWindowSeconds: number;
  /** Which proxies may set X-Forwarded-For (express "trust proxy" syntax: "loopback", "10.0.0.0/8", hop count...). */
  trustProxy: string | number | false;
  /** Base URL that emails link to; nothing else is ever linked. */
  publicUrl: string;
  smtpUrl?: string;
  mailFrom: string;
  /** Where messages go without SMTP_URL: a folder a developer can read. */
  outboxDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Browser origins allowed to call the API; '*' by default (tokens travel in headers, not cookies). */
  corsOrigins: string[] | '*';
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return value;
}

function optional(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function parseTrustProxy(raw: string | undefined): Config['trustProxy'] {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return 'loopback, linklocal, uniquelocal';
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw;
}

function parseOrigins(raw: string | undefined): Config['corsOrigins'] {
  if (!raw || raw === '*') return '*';
  return raw.split(',').map((origin) => origin.trim().replace(/\/+$/, '')).filter(Boolean);
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, 'PORT', 4000);
  const logLevel = (optional(env, 'LOG_LEVEL') ?? 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const publicUrl = optional(env, 'PUBLIC_URL') ?? `http://localhost:${port}`;
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError(`PUBLIC_URL must be an absolute URL, got "${publicUrl}"`);
  }
  return {
    port,
    host: optional(env, 'HOST') ?? '0.0.0.0',
    databaseUrl: optional(env, 'DATABASE_URL'),
    databaseSchema: optional(env, 'DATABASE_SCHEMA'),
    sqlitePath: optional(env, 'SQLITE_PATH') ?? 'data/signoff.sqlite',
    redisUrl: optional(env, 'REDIS_URL'),
    redisPrefix: optional(env, 'REDIS_PREFIX') ?? 'signoff:',
    sessionTtlSeconds: integer(env, 'SESSION_TTL_SECONDS', 30 * 24 * 3600, 60),
    expirySweepSeconds: integer(env, 'EXPIRY_SWEEP_SECONDS', 30, 1),
    activityWriteIntervalSeconds: integer(env, 'ACTIVITY_WRITE_INTERVAL_SECONDS', 60),
    stepUpWindowSeconds: integer(env, 'STEP_UP_WINDOW_SECONDS', 300),
    trustProxy: parseTrustProxy(optional(env, 'TRUST_PROXY')),
    publicUrl: publicUrl.replace(/\/+$/, ''),
    smtpUrl: optional(env, 'SMTP_URL'),
    mailFrom: optional(env, 'MAIL_FROM') ?? 'signoff <no-reply@signoff.local>',
    outboxDir: optional(env, 'OUTBOX_DIR') ?? 'data/outbox',
    logLevel,
    corsOrigins: parseOrigins(optional(env, 'CORS_ORIGINS')),
  };
}
