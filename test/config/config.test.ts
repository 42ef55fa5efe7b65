import { ConfigError, configWarnings, loadConfig } from '../../src/config/config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a configuration error');
}

describe('configuration', () => {
  it('accepts the edges of every range (ports 0 and 65535, a 2-second session lifetime) and defaults blank variables', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
    expect(loadConfig({ SESSION_TTL_SECONDS: '2' }).sessionTtlSeconds).toBe(2);
    const config = loadConfig({ PORT: '', LOG_LEVEL: '  ' });
    expect(config).toMatchObject({ port: 4000, host: '0.0.0.0', publicUrl: 'http://localhost:4000', logLevel: 'info', trustProxy: false, corsOrigins: '*' });
  });

  it('warns at start about a session lifetime under 5 minutes, and only then', () => {
    expect(configWarnings(loadConfig({ SESSION_TTL_SECONDS: '2' }))).toEqual([expect.stringContaining('SESSION_TTL_SECONDS')]);
    expect(configWarnings(loadConfig({ SESSION_TTL_SECONDS: '300' }))).toEqual([]);
  });

  it('names every bad variable once, and only the bad ones', () => {
    const problems = problemsOf({ PORT: '70000', EXPIRY_SWEEP_SECONDS: '0', STEP_UP_WINDOW_SECONDS: '1.5', LOG_LEVEL: 'loud', HOST: '127.0.0.1' });
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT .*0 to 65535/),
        expect.stringMatching(/^EXPIRY_SWEEP_SECONDS /),
        expect.stringMatching(/^STEP_UP_WINDOW_SECONDS /),
        expect.stringMatching(/^LOG_LEVEL .*debug, info/),
      ]),
    );
    // The default PUBLIC_URL is built from PORT; a bad port is PORT's fault alone.
    expect(problems.join('\n')).not.toContain('PUBLIC_URL');
  });

  it('requires URLs with the right scheme, without echoing them (they carry passwords)', () => {
    for (const [name, value] of [
      ['DATABASE_URL', 'mysql://root:hunter2@db/app'],
      ['DATABASE_URL', 'localhost:5432'],
      ['REDIS_URL', 'http://:hunter2@cache:6379'],
      ['SMTP_URL', 'mail.example.com'],
      ['PUBLIC_URL', 'signoff.example.com'],
    ] as const) {
      const problems = problemsOf({ [name]: value });
      expect(problems).toEqual([expect.stringMatching(new RegExp(`^${name} must be a URL starting with`))]);
      expect(problems[0]).not.toContain('hunter2');
    }
    expect(loadConfig({ DATABASE_URL: 'postgresql://u@db/app', SECRET_KEY: '0'.repeat(64), REDIS_URL: 'rediss://cache:6380', PUBLIC_URL: 'https://example.com/' })).toMatchObject({
      databaseUrl: 'postgresql://u@db/app',
      redisUrl: 'rediss://cache:6380',
      publicUrl: 'https://example.com',
    });
  });

  it('checks TRUST_PROXY with the same compiler that will apply it', () => {
    expect(problemsOf({ TRUST_PROXY: '10.0.0.0/33' })).toEqual([expect.stringMatching(/^TRUST_PROXY /)]);
    expect(problemsOf({ TRUST_PROXY: 'loopback, my-balancer' })).toEqual([expect.stringMatching(/^TRUST_PROXY /)]);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8');
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
  });

  it('accepts * or a list of origins in CORS_ORIGINS, nothing else', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com/, http://localhost:3000' }).corsOrigins).toEqual(['https://app.example.com', 'http://localhost:3000']);
    expect(problemsOf({ CORS_ORIGINS: 'https://app.example.com/login' })).toEqual([expect.stringMatching(/^CORS_ORIGINS /)]);
  });

  it('takes only an identifier as DATABASE_SCHEMA, since it is spliced into SQL', () => {
    expect(problemsOf({ DATABASE_SCHEMA: 'x"; DROP TABLE users; --' })).toEqual([expect.stringMatching(/^DATABASE_SCHEMA /)]);
    expect(loadConfig({ DATABASE_SCHEMA: 't_abc123' }).databaseSchema).toBe('t_abc123');
  });
});
