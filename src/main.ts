import 'reflect-metadata';
import { createLogger } from './common/logger';
import { ConfigError, configWarnings, loadConfig } from './config/config';
import type * as ServerModule from './server';
import { ExitCode, exitOnTerminationSignals } from './shutdown';

// Until the configuration says otherwise, problems are logged as JSON lines at every level but silent.
let logger = createLogger('info');

async function main(): Promise<void> {
  const config = loadConfig();
  // The rest of the service loads only once the configuration is known good, so a bad variable fails at once.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, see above
  const { startServer } = require('./server') as typeof ServerModule;
  logger = createLogger(config.logLevel);
  for (const warning of configWarnings(config)) logger.warn(warning);
  const server = await startServer(config, logger);
  const stores = `${config.databaseUrl ? 'PostgreSQL' : `SQLite (${config.sqlitePath})`}, ${config.redisUrl ? 'Redis pub/sub' : 'in-process pub/sub'}`;
  logger.info({ url: server.url, stores }, 'serving');
  // For the person who ran `npm start` (and scripts that wait for it): the one line on stdout.
  console.log(`signoff is serving GraphQL at ${server.url} (WebSocket: ${server.url.replace(/^http/, 'ws')}) on ${stores}`);

  exitOnTerminationSignals(() => server.dispose(), { timeoutMs: config.shutdownTimeoutSeconds * 1000, logger });
}

main().catch((err: unknown) => {
  // Configuration problems name the variable and never echo its value (URLs carry passwords): no stack either.
  if (err instanceof ConfigError) for (const problem of err.problems) logger.error(`Configuration error: ${problem}`);
  else logger.fatal({ err }, 'signoff failed to start');
  process.exit(ExitCode.Failure);
});
