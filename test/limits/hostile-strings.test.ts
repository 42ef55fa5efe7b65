import { getNamedType, getNullableType, isEnumType, isInputObjectType, isListType, isScalarType, type GraphQLArgument, type GraphQLField, type GraphQLInputType } from 'graphql';
import { buildGraphqlSchema } from '../../src/schema';
import { accountWithDevices, type SignIn } from '../support/accounts';
import { DEVICES, errorCodes, graphql } from '../support/client';
import { clusterPerSuite, sql } from '../support/cluster';

/** A plausible value for `type`, with `hostile` at the string leaf named `target` (a path inside the argument). */
function valueFor(type: GraphQLInputType, path: string, target: string, hostile: string): unknown {
  const inner = getNullableType(type);
  if (isListType(inner)) return [valueFor(inner.ofType, `${path}.0`, target, hostile)];
  if (isInputObjectType(inner)) {
    return Object.fromEntries(Object.values(inner.getFields()).map((field) => [field.name, valueFor(field.type, `${path}.${field.name}`, target, hostile)]));
  }
  if (isEnumType(inner)) return inner.getValues()[0]?.value;
  if (isScalarType(inner) && (inner.name === 'String' || inner.name === 'ID')) return path === target ? hostile : 'plain';
  if (isScalarType(inner) && inner.name === 'Int') return 1;
  if (isScalarType(inner) && inner.name === 'Boolean') return false;
  throw new Error(`no test value for ${inner.toString()}`);
}

/** Every path to a String or ID leaf in an argument. */
function stringLeaves(type: GraphQLInputType, path: string): string[] {
  const inner = getNullableType(type);
  if (isListType(inner)) return stringLeaves(inner.ofType, `${path}.0`);
  if (isInputObjectType(inner)) return Object.values(inner.getFields()).flatMap((field) => stringLeaves(field.type, `${path}.${field.name}`));
  return isScalarType(inner) && (inner.name === 'String' || inner.name === 'ID') ? [path] : [];
}

interface Case {
  operation: 'query' | 'mutation';
  field: GraphQLField<unknown, unknown>;
  target: string;
}

function operationFor({ operation, field }: Case, arg: readonly GraphQLArgument[]): string {
  const variables = arg.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const args = arg.map((a) => `${a.name}: $${a.name}`).join(', ');
  const returns = getNamedType(field.type);
  const selection = isScalarType(returns) || isEnumType(returns) ? '' : ' { __typename }';
  return `${operation}${variables ? `(${variables})` : ''} { ${field.name}${args ? `(${args})` : ''}${selection} }`;
}

const HOSTILE = {
  'a NUL byte': 'ab\u0000cd',
  'a lone surrogate': 'ab\uD800cd',
  'an absurdly long string': 'x'.repeat(20_000),
} as const;

describe('a hostile string in any argument is BAD_USER_INPUT, never an internal error', () => {
  const suite = clusterPerSuite();
  const cases: Case[] = [];
  let owner: SignIn;

  beforeAll(async () => {
    const schema = await buildGraphqlSchema();
    for (const operation of ['query', 'mutation'] as const) {
      const root = operation === 'query' ? schema.getQueryType() : schema.getMutationType();
      for (const field of Object.values(root?.getFields() ?? {})) {
        for (const arg of field.args) for (const target of stringLeaves(arg.type, arg.name)) cases.push({ operation, field, target });
      }
    }
    owner = (await accountWithDevices(suite.url, [DEVICES.chromeOnWindows])).signIns[0]!;
  });

  it('covers every string argument of every query and mutation', () => {
    const names = cases.map((c) => `${c.field.name}:${c.target}`);
    // The contract's string arguments, at least; new ones are covered as they are added.
    expect(names).toEqual(
      expect.arrayContaining([
        'session:id',
        'auditLog:after',
        'register:input.email',
        'register:input.password',
        'login:input.email',
        'login:input.password',
        'login:input.otp',
        'revokeSession:id',
        'revokeSession:confirmation.password',
        'revokeSession:confirmation.otp',
        'revokeSession:confirmation.emailCode',
        'revokeOtherSessions:confirmation.password',
        'changePassword:currentPassword',
        'changePassword:newPassword',
        'requestPasswordReset:email',
        'resetPassword:token',
        'resetPassword:newPassword',
        'confirmTotpSetup:code',
        'disableTotp:confirmation.otp',
        'reportUnrecognizedSession:token',
      ]),
    );
  });

  it.each(Object.entries(HOSTILE))('%s in each string argument, signed in or not, gets BAD_USER_INPUT naming the field', async (_, hostile) => {
    const answers: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    for (const c of cases) {
      for (const token of [owner.token, undefined]) {
        const args = c.field.args;
        const variables = Object.fromEntries(args.map((a) => [a.name, valueFor(a.type, a.name, c.target, hostile)]));
        const response = await graphql(suite.url, operationFor(c, args), variables, { token });
        const key = `${c.field.name}:${c.target}:${token ? 'signed in' : 'anonymous'}`;
        const error = response.errors?.[0];
        answers[key] = { codes: errorCodes(response), field: error?.extensions?.field };
        // Fields inside an input object are named as class-validator names them: from inside it.
        const field = args.find((a) => a.name === c.target) ? c.target : c.target.split('.').slice(1).join('.');
        expected[key] = { codes: ['BAD_USER_INPUT'], field };
      }
    }
    expect(answers).toEqual(expected);
    // Nothing was signed out or changed along the way.
    expect(await sql(suite, 'SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL', [owner.user.id])).toHaveLength(1);
  });

  it('an ordinary non-ASCII string (accents, emoji, a CJK name) is taken as it is', async () => {
    const response = await graphql(suite.url, 'mutation($email: String!) { requestPasswordReset(email: $email) }', { email: 'zoë.🙂.山田@example.com' });
    expect(response.errors).toBeUndefined();
  });
});
