import { createLogger } from '../../src/common/logger';
import { loadConfig } from '../../src/config/config';
import { startServer } from '../../src/server';
import { seedAccounts } from '../lib/seed';
import { serveCommands } from './commands';

/** One signoff instance in its own process, configured from the environment like `npm start`. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const server = await startServer(config, createLogger(config.logLevel));
  const { services } = server;
  serveCommands(
    { url: server.url, port: server.port },
    {
      seed: (args: { accounts: number; sessionsPerAccount: number; concurrency?: number }) => seedAccounts(services, args),
      sweep: () => services.sweeper.sweep(),
      counts: () => ({ subscriptions: services.hub.subscriptionCount(), sockets: services.sockets.size }),
    },
    () => server.dispose(),
  );
}

main().catch((err: unknown) => {
  console.error('signoff benchmark server failed to start:', err);
  process.exit(1);
});
