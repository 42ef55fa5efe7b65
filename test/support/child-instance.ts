/**
 * One signoff instance in a process of its own, for tests that pause or signal it (SIGSTOP):
 * configured from the environment like `npm start`, driven through bench/lib/child-server.ts.
 */
import { createLogger } from '../../src/common/logger';
import { loadConfig } from '../../src/config/config';
import { startServer } from '../../src/server';
import { serveCommands } from '../../bench/servers/commands';
import { countDatabaseRoundTrips } from './database-round-trips';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const server = await startServer(config, createLogger(config.logLevel));
  const roundTrips = countDatabaseRoundTrips(server.services.dataSource);
  serveCommands(
    { url: server.url, port: server.port },
    {
      pid: () => process.pid,
      databaseRoundTrips: () => roundTrips.count,
    },
    () => server.dispose(),
  );
}

main().catch((err: unknown) => {
  console.error('signoff test instance failed to start:', err);
  process.exit(1);
});
