import { serverAudits } from 'graphql-http';
import { clusterPerSuite } from '../support/cluster';

const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json';

async function post(
  url: string,
  accept: string,
  body: unknown,
): Promise<{ status: number; type: string | null; body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify(body) });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as never };
}

describe('GraphQL over HTTP', () => {
  const suite = clusterPerSuite();

  describe('graphql-http server audits: every MUST and SHOULD', () => {
    const audits = serverAudits({ url: () => suite.url, fetchFn: fetch }).filter((audit) => /^(MUST|SHOULD) /.test(audit.name));

    it.each(audits.map((audit) => [audit.name, audit] as const))('%s', async (_name, audit) => {
      const result = await audit.fn();
      if (result.status !== 'ok') throw new Error(`${audit.id}: ${result.reason}`);
    });
  });

  it.each([
    ['does not parse', { query: '{ me { id ' }],
    ['does not validate', { query: '{ noSuchField }' }],
    ['has more than 2000 tokens', { query: `{ ${'__typename '.repeat(2100)}}` }],
    ['has variables that do not coerce', { query: 'query($id: ID!) { session(id: $id) { id } }', variables: { id: { not: 'an id' } } }],
  ])('a request that %s answers 400 BAD_USER_INPUT to a graphql-response+json client, 200 to a plain JSON one', async (_what, body) => {
    const modern = await post(suite.url, GRAPHQL_RESPONSE_JSON, body);
    expect(modern.status).toBe(400);
    expect(modern.type).toMatch(/^application\/graphql-response\+json/);
    expect(modern.body.data).toBeUndefined();
    expect(new Set(modern.body.errors?.map((error) => error.extensions?.code))).toEqual(new Set(['BAD_USER_INPUT']));

    const legacy = await post(suite.url, 'application/json', body);
    expect(legacy.status).toBe(200);
    expect(legacy.type).toMatch(/^application\/json/);
    expect(legacy.body.errors).toEqual(modern.body.errors);
  });
});
