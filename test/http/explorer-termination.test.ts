import { get } from 'node:http';
import { runInNewContext } from 'node:vm';
import { parse, print } from 'graphql';
import WebSocket from 'ws';
import { OnSessionTerminatedDocument, RevokeSessionDocument } from '../generated/graphql';
import { accountWithDevices } from '../support/accounts';
import { dataOf, DEVICES, graphql } from '../support/client';
import { deferred, within } from '../support/deferred';
import { clusterPerSuite } from '../support/cluster';

type Fetcher = (
  params: { query: string; operationName?: string },
  options: { headers?: Record<string, string>; documentAST?: unknown },
) => {
  subscribe(observer: { next(value: unknown): void; error(error: unknown): void; complete(): void }): { unsubscribe(): void };
};

function pageOf(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { accept: 'text/html' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** Runs the explorer page's own start script with a real WebSocket, and returns the fetcher it hands GraphiQL. */
async function explorerFetcher(url: string): Promise<Fetcher> {
  const page = await pageOf(url);
  const start = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].at(-1)![1]!;
  let fetcher: Fetcher | undefined;
  runInNewContext(start, {
    location: { href: url },
    URL,
    WebSocket,
    document: { getElementById: () => ({}) },
    GraphiQL: { createFetcher: () => () => Promise.reject(new Error('HTTP is not part of this test')) },
    React: { createElement: (_component: unknown, props: { fetcher: Fetcher }) => (fetcher = props.fetcher) },
    ReactDOM: { createRoot: () => ({ render: () => undefined }) },
  });
  if (!fetcher) throw new Error('the page gave GraphiQL no fetcher');
  return fetcher;
}

/** What GraphiQL's result pane is handed, in order, until the subscription ends. */
function run(fetcher: Fetcher, token: string) {
  const shown: unknown[] = [];
  const errors: unknown[] = [];
  const ended = deferred<void>();
  const query = print(OnSessionTerminatedDocument);
  fetcher({ query, operationName: 'OnSessionTerminated' }, { headers: { Authorization: `Bearer ${token}` }, documentAST: parse(query) }).subscribe({
    next: (value) => shown.push(value),
    error: (error) => {
      errors.push(error);
      ended.resolve();
    },
    complete: () => ended.resolve(),
  });
  return { shown, errors, ended: () => within(ended.promise, 5000, 'the subscription to end') };
}

describe('GraphiQL shows a revoked session its sessionTerminated event, then why the socket closed', () => {
  const suite = clusterPerSuite();

  it('the event stays on screen with the 4401 close reason under extensions, and no error replaces it', async () => {
    const { signIns } = await accountWithDevices(suite.url, [DEVICES.chromeOnWindows, DEVICES.safariOnIphone]);
    const [a, b] = signIns as [(typeof signIns)[number], (typeof signIns)[number]];
    const subscription = run(await explorerFetcher(suite.url), b.token);
    await suite.waitForSubscribers(1);

    dataOf(await graphql(suite.url, RevokeSessionDocument, { id: b.session.id }, { token: a.token, device: a.device }));
    await subscription.ended();

    expect(subscription.errors).toEqual([]);
    const [event, last] = subscription.shown as [{ data: { sessionTerminated: { sessionId: string; reason: string } } }, unknown];
    expect(event.data.sessionTerminated).toMatchObject({ sessionId: b.session.id, reason: 'REVOKED' });
    expect(last).toEqual({ data: event.data, extensions: { socketClosed: { code: 4401, reason: 'Session terminated' } } });
    expect(subscription.shown).toHaveLength(2);
  });

  it('a token refused at connection shows the close as an error message, not an empty pane', async () => {
    const subscription = run(await explorerFetcher(suite.url), 'so_not-a-live-token-000000000000000000000000000');
    await subscription.ended();
    expect(subscription.errors).toEqual([]);
    expect(subscription.shown).toEqual([
      { errors: [{ message: 'The server closed the connection: 4401 Unauthorized' }], extensions: { socketClosed: { code: 4401, reason: 'Unauthorized' } } },
    ]);
  });
});
