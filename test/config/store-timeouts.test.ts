import { ConfigError, loadConfig } from '../../src/config/config';

describe('store timeouts configuration', () => {
  it('bounds every store wait by default', () => {
    expect(loadConfig({})).toMatchObject({
      databaseConnectTimeoutMs: 5000,
      databaseStatementTimeoutMs: 10_000,
      databaseLockTimeoutMs: 5000,
      databaseIdleInTransactionTimeoutMs: 30_000,
      databaseMigrationTimeoutMs: 300_000,
      sqliteBusyTimeoutMs: 5000,
      redisConnectTimeoutMs: 2000,
      redisCommandTimeoutMs: 500,
      redisStartupTimeoutMs: 10_000,
      readinessTimeoutMs: 2000,
    });
  });

  it('refuses a timeout of zero (no bound) or a non-integer, naming each variable', () => {
    let problems: string[] = [];
    try {
      loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '0', DATABASE_CONNECT_TIMEOUT_MS: '1.5', REDIS_COMMAND_TIMEOUT_MS: 'soon', READINESS_TIMEOUT_MS: '50' });
    } catch (err) {
      if (err instanceof ConfigError) problems = err.problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^DATABASE_CONNECT_TIMEOUT_MS must be an integer >= 100/),
      expect.stringMatching(/^DATABASE_STATEMENT_TIMEOUT_MS must be an integer >= 100/),
      expect.stringMatching(/^REDIS_COMMAND_TIMEOUT_MS must be an integer >= 50/),
      expect.stringMatching(/^READINESS_TIMEOUT_MS must be an integer >= 100/),
    ]);
  });
});
