import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLSchema,
} from 'graphql';
import { renderSchema, SCHEMA_FILE } from '../../scripts/emit-schema';

/** The in-repo copy, so a clone alone runs this test; it must stay identical to the shared original where that exists. */
const CONTRACT_FILE = join(__dirname, '..', '..', 'schema', 'contract.graphql');
const SHARED_CONTRACT_FILE = join(__dirname, '..', '..', '..', 'shared', 'contract.graphql');

/**
 * Contract items a later issue adds. Keep this list to what is truly not built yet: an item
 * listed here that the schema already has fails the test, so the list can only shrink.
 */
const PENDING: string[] = [];

/** Every type, field, argument and enum value of `contract` that `schema` lacks or types differently. */
function differences(contract: GraphQLSchema, schema: GraphQLSchema): string[] {
  const out: string[] = [];
  for (const wanted of Object.values(contract.getTypeMap())) {
    if (wanted.name.startsWith('__')) continue;
    const have = schema.getType(wanted.name);
    if (!have) {
      out.push(wanted.name);
      continue;
    }
    if (have.constructor !== wanted.constructor) out.push(`${wanted.name}: kind differs`);
    if (isEnumType(wanted) && isEnumType(have)) {
      for (const value of wanted.getValues()) if (!have.getValue(value.name)) out.push(`${wanted.name}.${value.name}`);
    }
    if ((isObjectType(wanted) || isInterfaceType(wanted) || isInputObjectType(wanted)) && (isObjectType(have) || isInterfaceType(have) || isInputObjectType(have))) {
      const haveFields = have.getFields();
      for (const field of Object.values(wanted.getFields())) {
        const path = `${wanted.name}.${field.name}`;
        const got = haveFields[field.name];
        if (!got) {
          out.push(path);
          continue;
        }
        if (String(got.type) !== String(field.type)) out.push(`${path}: ${String(got.type)} (contract: ${String(field.type)})`);
        if ('args' in field && 'args' in got) {
          const gotArgs: readonly GraphQLArgument[] = got.args;
          const wantedArgs: readonly GraphQLArgument[] = field.args;
          for (const arg of wantedArgs) {
            const gotArg = gotArgs.find((a) => a.name === arg.name);
            if (!gotArg) out.push(`${path}(${arg.name})`);
            else if (String(gotArg.type) !== String(arg.type)) out.push(`${path}(${arg.name}): ${String(gotArg.type)} (contract: ${String(arg.type)})`);
            else if (JSON.stringify(gotArg.defaultValue) !== JSON.stringify(arg.defaultValue)) {
              out.push(`${path}(${arg.name}) default ${JSON.stringify(gotArg.defaultValue)} (contract: ${JSON.stringify(arg.defaultValue)})`);
            }
          }
          for (const gotArg of gotArgs) {
            if (!wantedArgs.some((a) => a.name === gotArg.name) && String(gotArg.type).endsWith('!') && gotArg.defaultValue === undefined) {
              out.push(`${path}(${gotArg.name}): a required argument the contract does not have`);
            }
          }
        }
      }
    }
  }
  return out;
}

describe('the public schema', () => {
  it('schema/schema.graphql is what the resolvers produce (run `npm run schema` after changing them)', async () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(await renderSchema());
  });

  it('test/generated/graphql.ts types the tests\' operations against this schema (run `npm run codegen` after changing either)', () => {
    const root = join(__dirname, '..', '..');
    const bin = join(root, 'node_modules', '@graphql-codegen', 'cli', 'cjs', 'bin.js');
    const codegen = spawnSync(process.execPath, [bin, '--config', 'codegen.yml', '--check'], { cwd: root, encoding: 'utf8' });
    expect({ status: codegen.status, output: codegen.status === 0 ? '' : codegen.stdout + codegen.stderr }).toEqual({ status: 0, output: '' });
  });

  it('keeps schema/contract.graphql identical to ../shared/contract.graphql when the shared one is present', () => {
    if (!existsSync(SHARED_CONTRACT_FILE)) return; // a clone on its own: the in-repo copy is the contract
    expect(readFileSync(CONTRACT_FILE, 'utf8')).toEqual(readFileSync(SHARED_CONTRACT_FILE, 'utf8'));
  });

  it('is a superset of schema/contract.graphql, except what later issues add', () => {
    const contract = buildSchema(readFileSync(CONTRACT_FILE, 'utf8'));
    const schema = buildSchema(readFileSync(SCHEMA_FILE, 'utf8'));
    const missing = differences(contract, schema);
    expect(missing.filter((item) => !PENDING.includes(item))).toEqual([]);
    expect(PENDING.filter((item) => !missing.includes(item))).toEqual([]);
  });
});
