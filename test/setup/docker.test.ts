import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/config';

/**
 * Docker cannot run on the machines that run this suite, so this checks the files' shape: what
 * `docker compose config` would read, and the promises the README makes about them.
 */
const root = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

interface Service {
  image?: string;
  build?: string | { context: string };
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
}

describe('docker-compose.yml and the Dockerfile', () => {
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };
  const { postgres, redis, signoff } = compose.services;

  it('postgres and redis have health checks; signoff is built here and waits for both to be healthy', () => {
    expect(postgres?.healthcheck?.test.join(' ')).toMatch(/pg_isready/);
    expect(redis?.healthcheck?.test.join(' ')).toMatch(/redis-cli.*ping/);
    expect(signoff?.build).toBe('.');
    expect(signoff?.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    expect(signoff?.healthcheck?.test.join(' ')).toContain('/healthz');
  });

  it('signoff uses the credentials postgres is created with, and SECRET_KEY only from the environment', () => {
    const env = signoff!.environment!;
    const database = new URL(env.DATABASE_URL!);
    const pg = postgres!.environment!;
    expect([database.username, database.password, database.pathname.slice(1), database.hostname]).toEqual([pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, pg.POSTGRES_DB, 'postgres']);
    expect(new URL(env.REDIS_URL!).hostname).toBe('redis');
    // Required: compose refuses to start without it instead of running with a key written in a file.
    expect(env.SECRET_KEY).toMatch(/^\$\{SECRET_KEY:\?[^}]+\}$/);
    // The rest of the environment is what the service accepts (the placeholders replaced by sample values).
    const sample = Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value.replace(/^\$\{[A-Z_]+:[-?]([^}]*)\}$/, '$1')]));
    expect(() => loadConfig({ ...sample, SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), METRICS_TOKEN: '' })).not.toThrow();
  });

  it('the README and the compose file agree on the credentials and URLs', () => {
    const readme = read('README.md');
    const pg = postgres!.environment!;
    expect(readme).toContain(`DATABASE_URL=postgres://${pg.POSTGRES_USER}:${pg.POSTGRES_PASSWORD}@localhost:5432/${pg.POSTGRES_DB}`);
    expect(readme).toContain('REDIS_URL=redis://localhost:6379');
    expect(readme).toMatch(/TEST_DATABASE_URL/);
    expect(readme).toMatch(/TEST_REDIS_URL/);
  });

  it('the image is node:20-bookworm-slim, installs with npm ci, builds, and runs the build as a non-root user', () => {
    const dockerfile = read('Dockerfile');
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
    expect(froms).toEqual(['node:20-bookworm-slim', 'node:20-bookworm-slim']);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/npm run build/);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(runtime).toMatch(/^USER node$/m);
    const start = JSON.parse(read('package.json')).scripts.start as string;
    const entry = /node (\S+)/.exec(start)?.[1];
    expect(runtime).toContain(`CMD ["node", "${entry}"]`);
    expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['node_modules', '.env', 'data']));
  });
});
