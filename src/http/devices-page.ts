import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { type Express, type Request } from 'express';
import { setPagePolicy } from './security-headers';

/**
 * The devices page (web/, built by Vite into dist/web by `npm run build`): served at `/` and at
 * `/security`, the address the alert emails name. Its script and stylesheet are files of this
 * server; the page has no inline code at all, so its policy allows only 'self'.
 */
export function mountDevicesPage(app: Express): void {
  const root = join(packageRoot(), 'dist', 'web');
  const indexFile = join(root, 'index.html');
  // Read once: the build does not change under a running server.
  const html = existsSync(indexFile) ? readFileSync(indexFile, 'utf8') : undefined;

  // Vite names every asset by its content hash, so a year of caching is safe.
  app.use('/assets', express.static(join(root, 'assets'), { index: false, immutable: true, maxAge: '365d', fallthrough: true, redirect: false }));
  app.get(['/', '/security'], (req, res) => {
    if (!html) {
      res.status(503).type('text').send('The devices page is not built: run `npm run build`.');
      return;
    }
    setPagePolicy(res, { ownFiles: true, connect: true, dataImages: true, webSocketHost: sameHost(req) });
    res.set('Cache-Control', 'no-store').type('html').send(html);
  });
}

/**
 * The Host the browser used, for `connect-src ws://host wss://host` (CSP 3 lets 'self' cover
 * same-host WebSockets, older Safari does not). Only a plain host[:port] is echoed into the header.
 */
function sameHost(req: Request): string | undefined {
  const host = req.headers.host;
  return host && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) ? host : undefined;
}

/** The folder holding package.json: src/http in development and tests, dist/src/http once compiled. */
function packageRoot(): string {
  let folder = __dirname;
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) return process.cwd();
    folder = parent;
  }
  return folder;
}
