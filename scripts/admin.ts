/**
 * Service clients, from the command line (`npm run admin -- <command>`), against the database the
 * environment configures (DATABASE_URL or the embedded SQLite file), migrating it first:
 *
 *   create-client --name "API gateway" --scopes introspect,ssf.manage,ssf.read [--client-id gateway]
 *   list-clients
 *   disable-client <client-id>
 *
 * create-client prints the client id and secret once, as JSON; only the secret's hash is stored.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config/config';
import { DatabaseClock } from '../src/db/clock';
import { openDatabase } from '../src/db/data-source';
import { parseScopes, ServiceClients } from '../src/service-clients/service-clients.service';
import { SERVICE_SCOPES } from '../src/service-clients/service-client.entity';

const USAGE = `usage: npm run admin -- create-client --name <name> --scopes <${SERVICE_SCOPES.join(',')}> [--client-id <id>]
       npm run admin -- list-clients
       npm run admin -- disable-client <client-id>`;

export async function runAdmin(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, scopes: { type: 'string' }, 'client-id': { type: 'string' } },
  });
  const [command, argument] = positionals;
  if (!command || !['create-client', 'list-clients', 'disable-client'].includes(command)) {
    out(USAGE);
    return 2;
  }
  const config = loadConfig();
  const dataSource = await openDatabase(config);
  try {
    const clock = new DatabaseClock(dataSource);
    await clock.sync();
    const clients = new ServiceClients(dataSource, clock, config.serviceTokenTtlSeconds);
    if (command === 'create-client') {
      if (!values.name || !values.scopes) {
        out(USAGE);
        return 2;
      }
      const created = await clients.create({ name: values.name, scopes: parseScopes(values.scopes), clientId: values['client-id'] });
      out(JSON.stringify({ client_id: created.clientId, client_secret: created.clientSecret, scopes: parseScopes(values.scopes) }));
      return 0;
    }
    if (command === 'list-clients') {
      for (const client of await clients.list()) {
        out(JSON.stringify({ client_id: client.clientId, name: client.name, scopes: client.scopes, created_at: client.createdAt, disabled_at: client.disabledAt }));
      }
      return 0;
    }
    if (!argument) {
      out(USAGE);
      return 2;
    }
    const found = await clients.disable(argument);
    out(found ? `disabled ${argument}` : `no client ${argument}`);
    return found ? 0 : 1;
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  runAdmin(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof ConfigError ? `Configuration error: ${err.problems.join('; ')}` : err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
