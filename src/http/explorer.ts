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
    // The Authorization header from the Headers tab also authenticates subscriptions (connection_init payload).
    const fetcher = (params, options) => {
      const headers = (options && options.headers) || {};
      const authorization = headers.Authorization || headers.authorization;
      return GraphiQL.createFetcher({ url, subscriptionUrl, wsConnectionParams: authorization ? { authorization } : {} })(params, options);
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
  const files = new Map(
    Object.entries(ASSETS).map(([name, asset]) => [name, { type: asset.type, path: join(dirname(require.resolve(`${asset.pkg}/package.json`)), asset.file) }]),
  );
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
