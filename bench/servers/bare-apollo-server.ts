import { startBareApollo } from '../lib/bare-apollo';
import { serveCommands } from './commands';

/** The throughput baseline in a process of its own (see lib/bare-apollo.ts). */
async function main(): Promise<void> {
  const bare = await startBareApollo();
  serveCommands({ url: bare.url, port: bare.port }, {}, () => bare.stop());
}

main().catch((err: unknown) => {
  console.error('bare Apollo server failed to start:', err);
  process.exit(1);
});
