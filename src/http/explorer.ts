import { dirname, join } from 'node:path';
import type { Express, Request } from 'express';
import { setPagePolicy, type PagePolicy } from './security-headers';

/** Files of the in-browser GraphiQL, served from node_modules: nothing is fetched from a CDN. */
const ASSETS: Record<string, { pkg: string; file: string; type: string }> = {
  'react.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript' },
  'graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
};

const DEFAULT_QUERY = `# 1. Sign in with the register or login mutation.
# 2. Put the token in the Headers tab:
#    {"Authorization": "Bearer <token>"}
# 3. List your devices:
query MyDevices {
  sessions {
    id
    current
    device { label type os browser }
    ipAddress
    location { country city }
    createdAt
    lastActiveAt
  }
}
`;

const STYLE = 'body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }';

const START = `
    const url = new URL('/graphql', location.href).toString();
    const subscriptionUrl = url.replace(/^http/, 'ws');
    const httpFetcher = GraphiQL.createFetcher({ url });
    const isSubscription = (params, documentAST) => {
      const operations = ((documentAST && documentAST.definitions) || []).filter((d) => d.kind === 'OperationDefinition');
      const operation = params.operationName ? operations.find((o) => o.name && o.name.value === params.operationName) : operations[0];
      return Boolean(operation && operation.operation === 'subscription');
    };
    // Subscriptions speak graphql-transport-ws here, not through GraphiQL's client: when the server ends
    // a session it sends sessionTerminated and then closes with 4401, and GraphiQL's client would show
    // only the close as an error, so nobody saw the event. Here the last event stays on screen, with
    // the close code and reason added under extensions.socketClosed.
    const subscribe = (params, authorization) => ({
      subscribe(observer) {
        const socket = new WebSocket(subscriptionUrl, 'graphql-transport-ws');
        let last = null;
        let finished = false;
        const finish = (final) => {
          if (finished) return;
          finished = true;
          if (final) observer.next(final);
          observer.complete();
        };
        const send = (message) => socket.send(JSON.stringify(message));
        socket.onopen = () => send({ type: 'connection_init', payload: authorization ? { authorization } : {} });
        socket.onmessage = (message) => {
          const received = JSON.parse(message.data);
          if (received.type === 'connection_ack') send({ id: '1', type: 'subscribe', payload: params });
          else if (received.type === 'ping') send({ type: 'pong' });
          else if (received.type === 'next') observer.next((last = received.payload));
          else if (received.type === 'error') finish({ errors: received.payload });
          else if (received.type === 'complete') finish(null);
        };
        socket.onclose = (event) => {
          const socketClosed = { code: event.code, reason: event.reason };
          finish(
            last
              ? Object.assign({}, last, { extensions: Object.assign({}, last.extensions, { socketClosed }) })
              : { errors: [{ message: ('The server closed the connection: ' + event.code + ' ' + event.reason).trim() }], extensions: { socketClosed } },
          );
        };
        return {
          unsubscribe() {
            finished = true;
            if (socket.readyState === WebSocket.OPEN) send({ id: '1', type: 'complete' });
            socket.close(1000);
          },
        };
      },
    });
    // The Authorization header from the Headers tab also authenticates subscriptions (connection_init payload).
    const fetcher = (params, options) => {
      const headers = (options && options.headers) || {};
      const authorization = headers.Authorization || headers.authorization;
      return isSubscription(params, options && options.documentAST) ? subscribe(params, authorization) : httpFetcher(params, options);
    };
    // GraphiQL keeps tabs, headers and history in localStorage, where any script on this origin, or
    // anyone at the computer later, could read a bearer token: keep them for this page's life only.
    const memory = new Map();
    const storage = {
      getItem: (key) => (memory.has(key) ? memory.get(key) : null),
      setItem: (key, value) => void memory.set(key, String(value)),
      removeItem: (key) => void memory.delete(key),
      clear: () => memory.clear(),
      get length() { return memory.size; },
    };
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, storage, defaultQuery: ${JSON.stringify(DEFAULT_QUERY)}, isHeadersEditorEnabled: true, shouldPersistHeaders: false }),
    );
  `;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>signoff GraphQL explorer</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/explorer/graphiql.css">
  <style>${STYLE}</style>
</head>
<body>
  <div id="graphiql">Loading the explorer…</div>
  <script src="/explorer/react.js"></script>
  <script src="/explorer/react-dom.js"></script>
  <script src="/explorer/graphiql.js"></script>
  <script>${START}</script>
</body>
</html>`;

/** Only our own files and the two inline blocks above, by hash. */
const PAGE_POLICY: PagePolicy = { ownFiles: true, inlineScripts: [START], inlineStyles: [STYLE], connect: true, dataImages: true };

function wantsPage(req: Request): boolean {
  return req.method === 'GET' && req.query.query === undefined && req.accepts(['application/json', 'text/html']) === 'text/html';
}

/** GET /graphql from a browser opens GraphiQL; API requests pass through to the GraphQL handler. */
export function mountExplorer(app: Express): void {
  // Resolved once here, not per request.
  const files = new Map(Object.entries(ASSETS).map(([name, asset]) => [name, { type: asset.type, path: join(dirname(require.resolve(`${asset.pkg}/package.json`)), asset.file) }]));
  app.get('/explorer/:asset', (req, res, next) => {
    const file = files.get(req.params.asset ?? '');
    if (!file) return next();
    res.type(file.type).set('Cache-Control', 'public, max-age=86400').sendFile(file.path);
  });
  app.get('/graphql', (req, res, next) => {
    if (!wantsPage(req)) return next();
    setPagePolicy(res, PAGE_POLICY);
    res.type('html').send(PAGE);
  });
}
