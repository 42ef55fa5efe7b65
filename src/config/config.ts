import proxyAddr from 'proxy-addr';
import { z } from 'zod';
import { parseSecretKey } from '../common/secret-box';

/** A value the process cannot start with; main prints `problems`, one line each, and exits 1. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

type Env = Record<string, string | undefined>;

/** Quoted for messages; values of secret-bearing variables (URLs with passwords) are never echoed. */
const got = (input: unknown) => `, got ${JSON.stringify(input)}`;

/** A whole number in [min, max], written in decimal digits. */
function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  const expected = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return z.string().transform((raw, ctx) => {
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (value >= min && value <= max) return value;
    ctx.addIssue({ code: 'custom', message: `must be ${expected}${got(raw)}` });
    return z.NEVER;
  });
}

const port = () => integer(0, 65535);

/** An absolute URL with one of `schemes`; the value is not echoed, since such URLs carry passwords. */
function url(...schemes: string[]) {
  const expected = schemes.map((scheme) => `${scheme}://`).join(' or ');
  return z.string().refine(
    (raw) => {
      try {
        return schemes.includes(new URL(raw).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { error: `must be a URL starting with ${expected}` },
  );
}

function oneOf<const Values extends readonly [string, ...string[]]>(values: Values) {
  return z.enum(values, { error: (issue) => `must be one of ${values.join(', ')}${got(issue.input)}` });
}

/** Express "trust proxy" syntax, checked with the same compiler that will use it. */
const trustProxy = () =>
  z.string().transform((raw, ctx): string | number | false => {
    if (raw === 'false') return false;
    if (raw === 'true') return 'loopback, linklocal, uniquelocal';
    if (/^\d+$/.test(raw)) return Number(raw);
    try {
      proxyAddr.compile(raw.split(',').map((part) => part.trim()));
      return raw;
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be true, false, a hop count, or addresses/CIDRs/loopback/linklocal/uniquelocal separated by commas${got(raw)}` });
      return z.NEVER;
    }
  });

/** '*' or a comma-separated list of origins (scheme://host[:port]). */
const origins = () =>
  z.string().transform((raw, ctx): string[] | '*' => {
    if (raw === '*') return '*';
    const list = raw
      .split(',')
      .map((origin) => origin.trim().replace(/\/+$/, ''))
      .filter(Boolean);
    const bad = list.find((origin) => {
      try {
        return new URL(origin).origin !== origin;
      } catch {
        return true;
      }
    });
    if (bad === undefined) return list;
    ctx.addIssue({ code: 'custom', message: `must be * or origins like https://app.example.com separated by commas${got(bad)}` });
    return z.NEVER;
  });

/** `true` or `false`. */
const boolean = () =>
  z.string().transform((raw, ctx) => {
    if (raw === 'true' || raw === 'false') return raw === 'true';
    ctx.addIssue({ code: 'custom', message: `must be true or false${got(raw)}` });
    return z.NEVER;
  });

/** 32 bytes as hex or base64; never echoed. */
const secretKey = () =>
  z.string().transform((raw, ctx) => {
    const key = parseSecretKey(raw);
    if (key) return key;
    ctx.addIssue({ code: 'custom', message: 'must be 32 bytes written as hex (64 digits) or base64, e.g. the output of `openssl rand -base64 32`' });
    return z.NEVER;
  });

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/**
 * Store timeouts (issue 7): every wait on Postgres, SQLite or Redis is bounded, so a store that
 * accepts connections and never answers costs a request, a probe or a start-up seconds, not forever.
 */
const storeTimeouts = {
  /** Opening a Postgres connection (TCP, TLS, authentication), and waiting for a free one in the pool. */
  DATABASE_CONNECT_TIMEOUT_MS: integer(100).default(5000),
  /** Postgres cancels a statement running longer (statement_timeout); the client gives up 1 s later when no answer comes at all. */
  DATABASE_STATEMENT_TIMEOUT_MS: integer(100).default(10_000),
  /** A statement waiting this long for a row or table lock fails instead of queueing (lock_timeout). */
  DATABASE_LOCK_TIMEOUT_MS: integer(100).default(5000),
  /** A transaction left idle this long is ended by Postgres, releasing its locks (idle_in_transaction_session_timeout). */
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: integer(100).default(30_000),
  /** Start-up migrations: each statement, and the wait for another instance's migrations to finish. */
  DATABASE_MIGRATION_TIMEOUT_MS: integer(1000).default(300_000),
  /** How long a write waits for the embedded database's lock before SQLITE_BUSY. */
  SQLITE_BUSY_TIMEOUT_MS: integer(0).default(5000),
  /** Opening a Redis connection, per attempt. */
  REDIS_CONNECT_TIMEOUT_MS: integer(100).default(2000),
  /** A Redis command's reply; past it the command fails and the connection is reopened. */
  REDIS_COMMAND_TIMEOUT_MS: integer(50).default(500),
  /** Start-up gives up, naming Redis, when its connections are not ready by then. */
  REDIS_STARTUP_TIMEOUT_MS: integer(100).default(10_000),
  /** How long /readyz waits for each store before calling it down. */
  READINESS_TIMEOUT_MS: integer(100).default(2000),
};

/**
 * Every environment variable the process reads, with its parser and default: one line per
 * variable. Each becomes the camelCase field of `Config` (SESSION_TTL_SECONDS: sessionTtlSeconds).
 * An unset, empty or blank variable counts as absent. Document new ones in the README table.
 */
const variables = {
  /** TCP port for HTTP and WebSocket; 0 picks a free one (tests). */
  PORT: port().default(4000),
  HOST: z.string().default('0.0.0.0'),
  /** Postgres URL; absent means the embedded SQLite file at SQLITE_PATH. */
  DATABASE_URL: url('postgres', 'postgresql').optional(),
  /** Postgres schema to use (tests give each suite a throwaway one); it is spliced into SQL, so only an identifier. */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, { error: (issue) => `must be a Postgres identifier (letters, digits, _)${got(issue.input)}` })
    .optional(),
  SQLITE_PATH: z.string().default('data/signoff.sqlite'),
  /** Redis URL; absent means in-process pub/sub and rate limits (single instance only). */
  REDIS_URL: url('redis', 'rediss').optional(),
  /** Prefix for every Redis key and channel, so several deployments can share one Redis. */
  REDIS_PREFIX: z.string().default('signoff:'),
  /** Short values are for trying expiry out; configWarnings flags them. */
  SESSION_TTL_SECONDS: integer(2).default(30 * 24 * 3600),
  /** A session nobody used for this long is refused and ended (reason EXPIRED); short values as for the TTL. */
  SESSION_IDLE_TIMEOUT_SECONDS: integer(2).default(14 * 24 * 3600),
  /** How often an instance ends sessions that have reached `expiresAt`. */
  EXPIRY_SWEEP_SECONDS: integer(1).default(30),
  /** A live session's lastActiveAt is written at most this often (it costs a write per request otherwise). */
  ACTIVITY_WRITE_INTERVAL_SECONDS: integer(0).default(60),
  STEP_UP_WINDOW_SECONDS: integer(0).default(300),
  /** How long an instance may answer token checks from memory without renewing its lease (ADR 0004). */
  SESSION_CACHE_LEASE_MS: integer(200).default(2000),
  /** Live sessions each instance keeps in memory; 0 reads the database on every token check. */
  SESSION_CACHE_MAX_ENTRIES: integer(0).default(100_000),
  /** Registrations one IP may make per hour, across instances; checked before the password is hashed. */
  REGISTER_LIMIT_PER_IP_PER_HOUR: integer(1).default(10),
  /** Emails one address may receive per day, all kinds together (resets, alerts and notices are counted but never held back by it). */
  MAIL_CAP_PER_ADDRESS_PER_DAY: integer(1).default(30),
  /** WebSocket caps, counted per instance (src/realtime/socket-limits.ts): open sockets per session, per client IP, and operations per socket. */
  WS_MAX_SOCKETS_PER_SESSION: integer(1).default(20),
  WS_MAX_SOCKETS_PER_IP: integer(1).default(200),
  WS_MAX_SUBSCRIPTIONS_PER_SOCKET: integer(1).default(20),
  /** Which proxies may set X-Forwarded-For (express "trust proxy" syntax: "loopback", "10.0.0.0/8", hop count...). */
  TRUST_PROXY: trustProxy().default(false),
  /** Base URL that emails link to; nothing else is ever linked. Defaults to http://localhost:PORT. */
  PUBLIC_URL: url('http', 'https')
    .transform((raw) => raw.replace(/\/+$/, ''))
    .optional(),
  SMTP_URL: url('smtp', 'smtps').optional(),
  MAIL_FROM: z.string().default('signoff <no-reply@signoff.local>'),
  /** Where messages go without SMTP_URL: a folder a developer can read. */
  OUTBOX_DIR: z.string().default('data/outbox'),
  LOG_LEVEL: oneOf(LOG_LEVELS).default('info'),
  /** A graceful stop (SIGTERM/SIGINT) exits within this; in-flight requests get three quarters of it. */
  SHUTDOWN_TIMEOUT_SECONDS: integer(1).default(10),
  /** Browser origins allowed to call the API; '*' by default (tokens travel in headers, not cookies). */
  CORS_ORIGINS: origins().default('*'),
  /** Seals secrets at rest (TOTP). Required with DATABASE_URL, since every instance must share it; the embedded default generates its own. */
  SECRET_KEY: secretKey().optional(),
  /** Schema introspection, on HTTP and WebSocket alike. */
  INTROSPECTION: boolean().default(true),
  /** When set, GET /metrics asks for `Authorization: Bearer <this>`; unset, /metrics is open (keep it off the public network). */
  METRICS_TOKEN: z.string().min(16, { error: 'must be at least 16 characters, e.g. the output of `openssl rand -hex 32`' }).optional(),
  /** Lifetime of a service client's access token (client-credentials grant). */
  SERVICE_TOKEN_TTL_SECONDS: integer(30, 86_400).default(600),
  /** Lets SSF push streams target loopback and private addresses (tests, a receiver beside us); off, only public addresses. */
  SSF_ALLOW_PRIVATE_RECEIVERS: boolean().default(false),
  /** How often each instance looks for SET deliveries that are due (an ending on this instance wakes it at once). */
  SSF_DELIVERY_INTERVAL_MS: integer(50, 60_000).default(1000),
  /** First retry delay of a failed push; doubles per attempt up to SSF_PUSH_RETRY_MAX_MS. */
  SSF_PUSH_RETRY_BASE_MS: integer(10).default(1000),
  SSF_PUSH_RETRY_MAX_MS: integer(10).default(300_000),
  /** A receiver that has not answered a push within this is retried later. */
  SSF_PUSH_TIMEOUT_MS: integer(100, 60_000).default(5000),
  ...storeTimeouts,
};

type CamelCase<Name extends string> = Name extends `${infer Head}_${infer Tail}` ? `${Lowercase<Head>}${Capitalize<CamelCase<Tail>>}` : Lowercase<Name>;
type Variables = typeof variables;
type FromEnvironment = { [Name in keyof Variables as CamelCase<Name>]: z.output<Variables[Name]> };

function camelCase(name: string): string {
  return name.toLowerCase().replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

const schema = z.object(variables).transform((parsed, ctx) => {
  if (parsed.DATABASE_URL && !parsed.SECRET_KEY) {
    ctx.addIssue({ code: 'custom', path: ['SECRET_KEY'], message: 'is required with DATABASE_URL: every instance must share it (e.g. `openssl rand -base64 32`)' });
    return z.NEVER;
  }
  const fields = Object.fromEntries(Object.entries(parsed).map(([name, value]) => [camelCase(name), value])) as FromEnvironment;
  return { ...fields, publicUrl: fields.publicUrl ?? `http://localhost:${fields.port}` };
});

/** Process configuration, parsed and validated once from the environment. */
export type Config = z.output<typeof schema>;

/** Parses the environment; every bad variable is a ConfigError problem naming it, all at once. */
export function loadConfig(env: Env = process.env): Config {
  const input = Object.fromEntries(Object.keys(variables).map((name) => [name, env[name]?.trim() || undefined]));
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => `${issue.path.map(String).join('.')} ${issue.message}`));
}

/** Values that work but are rarely meant in production; logged at start. */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.sessionTtlSeconds < 300) warnings.push(`SESSION_TTL_SECONDS is ${config.sessionTtlSeconds}: every session ends within 5 minutes of sign-in`);
  if (config.sessionIdleTimeoutSeconds < 300) {
    warnings.push(`SESSION_IDLE_TIMEOUT_SECONDS is ${config.sessionIdleTimeoutSeconds}: a session unused for that long ends`);
  }
  return warnings;
}
