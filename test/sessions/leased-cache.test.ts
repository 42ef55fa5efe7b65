import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { hashToken, newOpaqueToken } from '../../src/common/secrets';
import { SessionEntity, TerminationReason } from '../../src/sessions/session.entity';
import { PASSWORD } from '../support/accounts';
import { createLogger } from '../../src/common/logger';
import { startServer, type RunningServer } from '../../src/server';
import { seedAccounts } from '../../bench/lib/seed';
import { countDatabaseRoundTrips } from '../support/database-round-trips';
import { clusterPerSuite } from '../support/cluster';
import { TcpLink } from '../support/tcp-link';
import { TokenChecks } from '../support/token-checks';
import { until } from '../support/deferred';

const LEASE_MS = 2000;
const MARGIN_MS = 200;
/** For a loaded machine: how much later than the lease a wait may end and still count as "within one lease". */
const SLACK_MS = 1500;

/** Sessions for one fresh account, written in one statement (a thousand sign-ins would cost a thousand argon2 hashes). */
async function insertSessions(instance: RunningServer, count: number): Promise<{ id: string; userId: string; token: string }[]> {
  const { session: template } = await instance.services.auth.register(`lease-${randomUUID()}@example.com`, PASSWORD, {
    ipAddress: '127.0.0.2',
    userAgent: 'lease test',
  });
  const now = new Date();
  const sessions = Array.from({ length: count }, () => ({ id: randomUUID(), userId: template.userId, token: newOpaqueToken('so') }));
  await instance.services.dataSource
    .getRepository(SessionEntity)
    .insert(sessions.map(({ id, token }) => ({ ...template, id, tokenHash: hashToken(token), createdAt: now, lastActiveAt: now })));
  return sessions;
}

describe('the leased session cache', () => {
  const suite = clusterPerSuite({ count: 2, env: { SESSION_CACHE_LEASE_MS: String(LEASE_MS) } });
  const checks = new TokenChecks();
  afterAll(() => checks.close());

  const instances = () => suite.instances as [RunningServer, RunningServer];

  it('answers a token it has seen from memory, with no database round trip', async () => {
    const [a, b] = instances();
    const [account] = await seedAccounts(a.services, { accounts: 1, sessionsPerAccount: 1 });
    const token = account!.others[0]!.token;
    expect(await checks.accepted(b.url, token)).toBe(true);

    const roundTrips = countDatabaseRoundTrips(b.services.dataSource);
    for (let i = 0; i < 100; i++) expect(await checks.accepted(b.url, token)).toBe(true);
    // The lease renewal reads Postgres every LEASE_MS / 4; the 100 checks read nothing.
    expect(roundTrips.count).toBeLessThan(10);
  });

  it('accepts no token on another instance once its ending returned, over 1,000 endings while that instance is hammered', async () => {
    const [a, b] = instances();
    const sessions = await insertSessions(a, 1000);
    let checked = 0;
    let acceptedBeforeReturn = 0;
    const acceptedAfterReturn: string[] = [];
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

    // Ten lanes at once, each over its share: warm the token on B, end the session on A, and
    // keep checking the token on B (one check per turn of the event loop, like requests arriving)
    // until two checks have started after the ending returned.
    await Promise.all(
      Array.from({ length: 10 }, async (_, lane) => {
        for (const session of sessions.filter((_, i) => i % 10 === lane)) {
          expect(await b.services.sessions.authenticate(session.token)).not.toBeNull();
          let returnedAt = Number.POSITIVE_INFINITY;
          const ending = a.services.terminator
            .end({ userId: session.userId, target: { sessionIds: [session.id] }, reason: TerminationReason.LOGOUT, actor: null, client: null })
            .then(() => void (returnedAt = performance.now()));
          for (let startedAfterReturn = 0; startedAfterReturn < 2;) {
            await nextTurn();
            const startedAt = performance.now();
            const accepted = (await b.services.sessions.authenticate(session.token)) !== null;
            checked++;
            if (startedAt > returnedAt) {
              startedAfterReturn++;
              if (accepted) acceptedAfterReturn.push(session.id);
            } else if (accepted) acceptedBeforeReturn++;
          }
          await ending;
        }
      }),
    );

    expect(acceptedAfterReturn).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(2000);
    // The race was real: B kept answering from memory while the endings were under way.
    expect(acceptedBeforeReturn).toBeGreaterThan(0);
  }, 120_000);

  describe('on an instance that loses Redis', () => {
    let link: TcpLink;
    let c: RunningServer;

    beforeAll(async () => {
      link = await TcpLink.open(Number(new URL(suite.config.redisUrl!).port || 6379));
      const config = { ...suite.config, redisUrl: `redis://127.0.0.1:${link.port}` };
      c = await startServer(config, createLogger(config.logLevel));
    });
    afterAll(async () => {
      link.restore();
      await c.dispose();
      await link.close();
    });

    it('stops trusting its memory within one lease, checks tokens against the database, and trusts it again once Redis is back', async () => {
      const [a] = instances();
      const [account] = await seedAccounts(a.services, { accounts: 1, sessionsPerAccount: 2 });
      const [revoked, kept] = account!.others as unknown as [{ token: string }, { token: string }];
      for (const { token } of [revoked, kept]) expect(await checks.accepted(c.url, token)).toBe(true);
      const roundTrips = countDatabaseRoundTrips(c.services.dataSource);
      expect(await checks.accepted(c.url, kept.token)).toBe(true);
      expect(roundTrips.count).toBe(0);

      link.cut();
      const cutAt = performance.now();
      const logoutSentAt = performance.now();
      await checks.logout(a.url, revoked.token);
      // C could not acknowledge: the logout waited for C's lease to run out, no longer.
      expect(performance.now() - logoutSentAt).toBeLessThan(LEASE_MS + MARGIN_MS + SLACK_MS);
      expect(c.services.sessionCache.trusted()).toBe(false);
      expect(performance.now() - cutAt).toBeLessThan(LEASE_MS + MARGIN_MS + SLACK_MS);

      const checkedAt = performance.now();
      expect(await checks.accepted(c.url, revoked.token)).toBe(false);
      expect(await checks.accepted(c.url, kept.token)).toBe(true);
      expect(performance.now() - checkedAt).toBeLessThan(1000);
      expect(roundTrips.count).toBeGreaterThanOrEqual(2);

      link.restore();
      await until(() => c.services.sessionCache.trusted(), 'the cache to trust its lease again', 10_000, 50);
      expect(c.services.sessionCache.trusted()).toBe(true);
      expect(await checks.accepted(c.url, revoked.token)).toBe(false);
      expect(await checks.accepted(c.url, kept.token)).toBe(true);
    });
  });
});
