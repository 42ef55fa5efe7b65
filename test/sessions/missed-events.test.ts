import { OnSessionTerminatedDocument } from '../generated/graphql';
import { accountWithDevices } from '../support/accounts';
import { clusterPerSuite, sql } from '../support/cluster';

describe('a socket whose session ended while its instance missed the event', () => {
  const cluster = clusterPerSuite({ env: { EXPIRY_SWEEP_SECONDS: '3600' } });

  it('is told and closed by the next sweep, with the reason and actor recorded in the database', async () => {
    const { url, services } = cluster.instances[0]!;
    const { signIns } = await accountWithDevices(url);
    const [a, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
    const bSocket = await cluster.connect(b.token, b.device, url);
    const bEvents = bSocket.subscribe(OnSessionTerminatedDocument);
    await cluster.waitForSubscribers(1);

    // Ended behind the bus's back, as if the Redis message had been lost.
    await sql(cluster, `UPDATE sessions SET revoked_at = now(), revoke_reason = 'REVOKED', revoked_by_session_id = $2 WHERE id = $1`, [b.session.id, a.session.id]);
    await services.sweeper.sweep();

    expect((await bEvents.next()).sessionTerminated).toMatchObject({ reason: 'REVOKED', terminatedBy: { id: a.session.id } });
    expect((await bSocket.waitForClose()).code).toBe(4401);
  });
});
