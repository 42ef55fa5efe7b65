import { AuditLogDocument, MeDocument, OnSessionTerminatedDocument, SessionsDocument } from '../generated/graphql';
import { accountWithDevices } from '../support/accounts';
import { dataOf, errorCodes, graphql } from '../support/client';
import { clusterPerSuite } from '../support/cluster';

/** Real time passing is what an idle timeout is about: the one wait here that stands for no event. */
const timePasses = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Uses `token` every `everyMs` until `stop` resolves: a device in use. */
async function keepBusy(url: string, token: string, everyMs: number, stop: Promise<unknown>): Promise<void> {
  let done = false;
  void stop.finally(() => (done = true));
  while (!done) {
    dataOf(await graphql(url, MeDocument, {}, { token }));
    await timePasses(everyMs);
  }
}

describe('a session nobody uses for SESSION_IDLE_TIMEOUT_SECONDS', () => {
  const suite = clusterPerSuite({
    // 3 s, not the minimum 2: the busy session must never go 3 s between requests, even on a loaded machine.
    env: { SESSION_IDLE_TIMEOUT_SECONDS: '3', ACTIVITY_WRITE_INTERVAL_SECONDS: '0', EXPIRY_SWEEP_SECONDS: '3600' },
  });

  it('is refused and unlisted, then the sweeper ends it with EXPIRED and closes its sockets, while a used one lives on', async () => {
    const { signIns } = await accountWithDevices(suite.url);
    const [a, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
    const socket = await suite.connect(b.token, b.device);
    const events = socket.subscribe(OnSessionTerminatedDocument);
    await suite.waitForSubscribers(1);

    // b does nothing for longer than the idle timeout; a keeps making requests.
    await keepBusy(suite.url, a.token, 300, timePasses(4500));

    expect(errorCodes(await graphql(suite.url, MeDocument, {}, { token: b.token }))).toEqual(['UNAUTHENTICATED']);
    expect(dataOf(await graphql(suite.url, SessionsDocument, {}, { token: a.token })).sessions.map((s) => s.id)).toEqual([a.session.id]);

    await suite.instances[0]!.services.sweeper.sweep();
    expect((await events.next()).sessionTerminated).toMatchObject({ sessionId: b.session.id, reason: 'EXPIRED', terminatedBy: null });
    expect(await socket.waitForClose()).toEqual({ code: 4401, reason: 'Session terminated' });
    const audit = dataOf(await graphql(suite.url, AuditLogDocument, { first: 5 }, { token: a.token })).auditLog.edges.map((edge) => edge.node);
    expect(audit[0]).toMatchObject({ type: 'SESSION_EXPIRED', targetSessionIds: [b.session.id] });
    expect(dataOf(await graphql(suite.url, MeDocument, {}, { token: a.token })).me).toBeTruthy();
  });
});

describe('the idle decision when lastActiveAt is written only every ACTIVITY_WRITE_INTERVAL_SECONDS', () => {
  // Writes every 3 s while the idle timeout is 2 s: a device in use can show a lastActiveAt older than the timeout.
  const suite = clusterPerSuite({
    env: { SESSION_IDLE_TIMEOUT_SECONDS: '2', ACTIVITY_WRITE_INTERVAL_SECONDS: '3', EXPIRY_SWEEP_SECONDS: '1' },
  });

  it('never ends a session in use, and ends an unused one at most one interval late', async () => {
    const { signIns } = await accountWithDevices(suite.url);
    const [a, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
    const socket = await suite.connect(b.token, b.device);
    const events = socket.subscribe(OnSessionTerminatedDocument);
    await suite.waitForSubscribers(1);
    const ended = events.next(15_000, 'the idle session to end');
    await keepBusy(suite.url, a.token, 250, ended);
    expect((await ended).sessionTerminated).toMatchObject({ sessionId: b.session.id, reason: 'EXPIRED' });
    // a was in use the whole time (more than two write intervals): still signed in.
    expect(dataOf(await graphql(suite.url, MeDocument, {}, { token: a.token })).me).toBeTruthy();
  });
});
