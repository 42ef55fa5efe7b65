import { SessionsDocument } from '../generated/graphql';
import { accountWithDevices } from '../support/accounts';
import { dataOf, errorCodes, graphql, LiveConnection } from '../support/client';
import { within } from '../support/deferred';
import { clusterPerSuite } from '../support/cluster';

const SCHEMA_QUERY = '{ __schema { queryType { name } } }';
const TYPE_QUERY = '{ __type(name: "Session") { fields { name } } }';

/** One operation over graphql-ws (queries run there too), as data or the errors it ended with. */
function overWebSocket(connection: LiveConnection, query: string): Promise<{ data?: unknown; errors?: unknown[] }> {
  return within(
    new Promise((resolve) => {
      let data: unknown;
      connection.client.subscribe(
        { query },
        {
          next: (result) => (data = result.data),
          error: (errors) => resolve({ errors: Array.isArray(errors) ? errors : [errors] }),
          complete: () => resolve({ data }),
        },
      );
    }),
    5000,
    'the operation to finish',
  );
}

describe.each([
  ['on by default', {}, true],
  ['off with INTROSPECTION=false', { INTROSPECTION: 'false' }, false],
])('introspection %s, on HTTP and WebSocket alike', (_title, env, enabled) => {
  const suite = clusterPerSuite({ env });

  it.each([
    ['__schema', SCHEMA_QUERY],
    ['__type', TYPE_QUERY],
  ])(`${enabled ? 'answers' : 'refuses'} %s over HTTP`, async (_field, query) => {
    const response = await graphql(suite.url, query);
    if (enabled) {
      expect(response.errors).toBeUndefined();
      expect(response.data).toEqual(expect.any(Object));
    } else {
      expect(response.data).toBeUndefined();
      expect(new Set(errorCodes(response))).toEqual(new Set(['BAD_USER_INPUT']));
      for (const error of response.errors ?? []) expect(error.message).toMatch(/introspection has been disabled/);
    }
  });

  it(`${enabled ? 'answers' : 'refuses'} __schema and __type over graphql-ws`, async () => {
    const { signIns } = await accountWithDevices(suite.url, [{ ip: '127.0.0.2', userAgent: 'introspection test' }]);
    const connection = await suite.connect(signIns[0]!.token);
    for (const query of [SCHEMA_QUERY, TYPE_QUERY]) {
      const result = await overWebSocket(connection, query);
      if (enabled) {
        expect(result.errors).toBeUndefined();
        expect(result.data).toEqual(expect.any(Object));
      } else {
        expect(result.data).toBeUndefined();
        expect(result.errors?.length).toBeGreaterThan(0);
        for (const error of result.errors ?? []) {
          expect(error).toEqual(expect.objectContaining({ message: expect.stringMatching(/introspection has been disabled/), extensions: { code: 'BAD_USER_INPUT' } }));
        }
      }
    }
  });

  it('ordinary operations and __typename work either way', async () => {
    const { signIns } = await accountWithDevices(suite.url, [{ ip: '127.0.0.2', userAgent: 'introspection test' }]);
    expect(dataOf(await graphql(suite.url, SessionsDocument, {}, { token: signIns[0]!.token })).sessions).toHaveLength(1);
    expect(dataOf(await graphql(suite.url, '{ __typename }'))).toEqual({ __typename: 'Query' });
  });

  it(`${enabled ? 'suggests' : 'does not suggest'} field names for a misspelt field`, async () => {
    const response = await graphql(suite.url, '{ sesions { id } }');
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    if (enabled) expect(response.errors?.[0]?.message).toMatch(/Did you mean "sessions"/);
    else expect(response.errors?.[0]?.message).not.toMatch(/sessions/);
  });
});
