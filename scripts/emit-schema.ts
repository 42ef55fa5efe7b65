/** Writes schema/schema.graphql from the resolvers (`npm run schema`); a test fails when it is stale. */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printSchema } from 'graphql';
import { buildGraphqlSchema } from '../src/schema';

export const SCHEMA_FILE = join(__dirname, '..', 'schema', 'schema.graphql');
export const SCHEMA_HEADER = '# Generated from the resolvers by `npm run schema`. Do not edit by hand.\n\n';

export async function renderSchema(): Promise<string> {
  return SCHEMA_HEADER + printSchema(await buildGraphqlSchema()) + '\n';
}

if (require.main === module) {
  renderSchema()
    .then((sdl) => {
      writeFileSync(SCHEMA_FILE, sdl);
      console.log(`wrote ${SCHEMA_FILE}`);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
