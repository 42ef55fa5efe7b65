import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { uniqueEmail } from '../support/accounts';
import { clusterPerSuite, sql } from '../support/cluster';

/** Everything the instance logs, as text: the test reads what an operator would read. */
class LogBuffer extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(url: string, method: string, headers: Record<string, string>, body?: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A password no log line could contain by chance. */
const secretPassword = () => `pw-${randomBytes(18).toString('base64url')}`;

/** No 6-character run of `secret` appears in `text`. */
function expectNoPartOf(secret: string, text: string): void {
  for (let i = 0; i + 6 <= secret.length; i++) expect(text).not.toContain(secret.slice(i, i + 6));
}

function expectGraphqlError(response: RawResponse, status: number): { message: string; extensions: { code: string } } {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const parsed = JSON.parse(response.body) as { errors: { message: string; extensions: { code: string } }[] };
  expect(parsed.errors).toHaveLength(1);
  expect(parsed.errors[0]!.extensions.code).toEqual(expect.any(String));
  expect(response.body).not.toMatch(/<html|<pre|\bat \w+ \(|node_modules|SyntaxError|body-parser/i);
  return parsed.errors[0]!;
}

describe('transport errors answer a JSON GraphQL error and are logged without the body', () => {
  const logs = new LogBuffer();
  const suite = clusterPerSuite({ logger: pino({ level: 'debug', base: undefined }, logs) });

  it('a malformed JSON login answers 400 BAD_USER_INPUT, and no part of its password reaches the log', async () => {
    const password = secretPassword();
    const before = logs.text.length;
    const body = `{"query":"mutation($i: LoginInput!) { login(input: $i) { token } }","variables":{"i":{"email":"a@example.com","password":"${password}"}`;
    const response = await send(suite.url, 'POST', { 'content-type': 'application/json' }, body);
    const error = expectGraphqlError(response, 400);
    expect(error).toEqual({ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_USER_INPUT' } });
    const logged = logs.text.slice(before);
    expect(logged).toContain('entity.parse.failed');
    expectNoPartOf(password, logs.text);
  });

  it('a body over the size limit answers 413 and is logged without its content', async () => {
    const password = secretPassword();
    const before = logs.text.length;
    const body = JSON.stringify({ query: `{ __typename }`, variables: { password, padding: 'x'.repeat(70 * 1024) } });
    const response = await send(suite.url, 'POST', { 'content-type': 'application/json' }, body);
    expect(expectGraphqlError(response, 413).extensions.code).toBe('BAD_USER_INPUT');
    expect(logs.text.slice(before)).toContain('entity.too.large');
    expectNoPartOf(password, logs.text);
  });

  it('a POST that is not JSON answers 415 and runs nothing (a cross-site form cannot register an account)', async () => {
    const email = uniqueEmail('csrf');
    const query = `mutation { register(input: { email: "${email}", password: "a long enough passphrase" }) { token } }`;
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const response = await send(suite.url, 'POST', { 'content-type': type }, JSON.stringify({ query }));
      expect(expectGraphqlError(response, 415).extensions.code).toBe('BAD_USER_INPUT');
    }
    expect(await sql(suite, 'SELECT id FROM users WHERE email = $1', [email])).toEqual([]);
  });

  it('a JSON body in a charset other than UTF-8 answers 415', async () => {
    const response = await send(suite.url, 'POST', { 'content-type': 'application/json; charset=latin1' }, '{"query":"{ __typename }"}');
    expectGraphqlError(response, 415);
  });

  it('a method other than GET and POST answers 405 with Allow, whatever the content type', async () => {
    const response = await send(suite.url, 'PUT', { 'content-type': 'text/plain' }, 'hello');
    expectGraphqlError(response, 405);
    expect(response.headers.allow).toBe('GET, POST');
  });

  it('a path nothing serves answers a JSON 404', async () => {
    const response = await send(new URL('/no-such-page', suite.url).toString(), 'GET', { accept: 'text/html' });
    expectGraphqlError(response, 404);
  });
});
