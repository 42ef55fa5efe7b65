import { performance } from 'node:perf_hooks';
import { RegisterDocument } from '../generated/graphql';
import { PASSWORD, uniqueEmail } from '../support/accounts';
import { dataOf, errorCodes, graphql } from '../support/client';
import { clusterPerSuite } from '../support/cluster';

// better-sqlite3 ships no type declarations here; the two calls this test makes are typed by hand.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (path: string) => { exec(sql: string): void; close(): void };

describe('the embedded database locked by another process', () => {
  const env = clusterPerSuite({ backend: 'sqlite', env: { SQLITE_BUSY_TIMEOUT_MS: '300' } });

  it('is ready on the embedded default: the file answers, every migration is applied, events are in-process', async () => {
    const ready = await fetch(new URL('/readyz', env.url));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, database: 'up', redis: 'in-process', migrations: 'applied', down: [] });
  });

  it('answers SERVICE_UNAVAILABLE once SQLITE_BUSY_TIMEOUT_MS has passed, and works again when the lock is gone', async () => {
    const register = () => graphql(env.url, RegisterDocument, { input: { email: uniqueEmail(), password: PASSWORD } });
    dataOf(await register());
    const other = new Database(env.config.sqlitePath);
    try {
      other.exec('BEGIN IMMEDIATE'); // holds the write lock, as a backup tool or a second process might
      const started = performance.now();
      expect(errorCodes(await register())).toEqual(['SERVICE_UNAVAILABLE']);
      expect(performance.now() - started).toBeLessThan(300 + 3000);
      other.exec('ROLLBACK');
      dataOf(await register());
    } finally {
      other.close();
    }
  });
});
