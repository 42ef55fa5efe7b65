import 'reflect-metadata';
import type * as LoggerModule from './common/logger';
import { ConfigError, configWarnings, loadConfig } from './config/config';
import type * as ServerModule from './server';

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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await server.dispose();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) for (const problem of err.problems) console.error(`Configuration error: ${problem}`);
  else console.error('signoff failed to start:', err);
  process.exit(1);
});
