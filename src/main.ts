import 'reflect-metadata';
import type * as LoggerModule from './common/logger';
import { ConfigError, configWarnings, loadConfig } from './config/config';
import type * as ServerModule from './server';
import { ExitCode, exitOnTerminationSignals } from './shutdown';

async function main(): Promise<void> {
  const config = loadConfig();
  // The rest of the service loads only once the configuration is known good, so a bad variable fails at once.
  const { createLogger } = require('./common/logger') as typeof LoggerModule;
  const { startServer } = require('./server') as typeof ServerModule;
  const logger = createLogger(config.logLevel);
  for (const warning of configWarnings(config)) logger.warn(warning);
  const server = await startServer(config, logger);
  const stores = `${config.databaseUrl ? 'PostgreSQL' : `SQLite (${config.sqlitePath})`}, ${config.redisUrl ? 'Redis pub/sub' : 'in-process pub/sub'}`;
  console.log(`signoff is serving GraphQL at ${server.url} (WebSocket: ${server.url.replace(/^http/, 'ws')}) on ${stores}`);

  exitOnTerminationSignals(() => server.dispose(), { timeoutMs: config.shutdownTimeoutSeconds * 1000, logger });
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) for (const problem of err.problems) console.error(`Configuration error: ${problem}`);
  else console.error('signoff failed to start:', err);
  process.exit(ExitCode.Failure);
});
