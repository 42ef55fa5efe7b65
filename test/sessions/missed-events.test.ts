import { OnSessionTerminatedDocument } from '../generated/graphql';
import { accountWithDevices } from '../support/accounts';
import { LiveConnection } from '../support/client';
import { sql, startCluster, waitForSubscribers, type TestCluster } from '../support/server';

describe('a socket whose session ended while its instance missed the event', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startCluster({ env: { EXPIRY_SWEEP_SECONDS: '3600' } });
  });
  afterAll(() => cluster.dispose());

  it('is told and closed by the next sweep, with the reason and actor recorded in the database', async () => {
    const { url, services } = cluster.instances[0]!;
    const { signIns } = await accountWithDevices(url);
    const [a, b] = signIns as [typeof signIns[0], typeof signIns[0]];
    const bSocket = await LiveConnection.open(url, b.token, b.device);
    const bEvents = bSocket.subscribe(OnSessionTerminatedDocument);
    await waitForSubscribers(cluster, 1);

    // Ended behind the bus's back, as if the Redis message had been lost.
    await sql(cluster, `UPDATE sessions SET revoked_at = now(), revoke_reason = 'REVOKED', revoked_by_session_id = $2 WHERE id = $1`, [
      b.session.id,
      a.session.id,
    ]);
    await services.sweeper.sweep();

    expect((await bEvents.next()).sessionTerminated).toMatchObject({ reason: 'REVOKED', terminatedBy: { id: a.session.id } });
    expect((await bSocket.waitForClose()).code).toBe(4401);
  });
});
