import { countingListener, spawnService } from '../support/process';

describe('the process with a bad configuration', () => {
  let stores: Awaited<ReturnType<typeof countingListener>>;
  beforeAll(async () => {
    stores = await countingListener();
  });
  afterAll(() => stores.close());

  // Each case points both stores at a listener that counts dials, so "before any store is opened" is observable.
  it.each([
    ['PORT', { PORT: '70000' }],
    ['REDIS_URL', { REDIS_URL: 'localhost:6379' }],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.0/33' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://root:hunter2@127.0.0.1/app' }],
    ['SESSION_TTL_SECONDS', { SESSION_TTL_SECONDS: '1' }],
  ])('exits 1 with one JSON log line naming %s, no stack trace, before dialling any store', async (name, bad) => {
    const service = spawnService({ DATABASE_URL: stores.url('postgres'), REDIS_URL: stores.url('redis'), LOG_LEVEL: 'silent', ...bad });
    const { code } = await service.exited;
    expect(code).toBe(1);
    // One JSON log line (pino), whose message names the variable.
    const lines = service
      .stderr()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string; err?: unknown });
    expect(lines).toEqual([expect.objectContaining({ level: 50, msg: expect.stringMatching(new RegExp(`^Configuration error: ${name} `)) })]);
    expect(lines[0]?.err).toBeUndefined();
    expect(service.stderr()).not.toContain('hunter2');
    expect(stores.connections()).toBe(0);
  });
});
