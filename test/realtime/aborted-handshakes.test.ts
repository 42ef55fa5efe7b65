import WebSocket from 'ws';
import { accountWithDevices } from '../support/accounts';
import { DEVICES, wsUrl } from '../support/client';
import { clusterPerSuite } from '../support/cluster';
import { until } from '../support/deferred';

const SOCKETS = 400;

describe('clients that send connection_init and drop at once', () => {
  const cluster = clusterPerSuite({
    env: {
      // Every token check reads the database, so the socket closes while its check is in flight.
      SESSION_CACHE_MAX_ENTRIES: '0',
      WS_MAX_SOCKETS_PER_SESSION: String(SOCKETS),
      WS_MAX_SOCKETS_PER_IP: String(SOCKETS),
    },
  });

  it(`leave nothing registered: after ${SOCKETS} such sockets of one valid session, the registry and the per-address counts are back to 0`, async () => {
    const { url, services } = cluster.instances[0]!;
    const { signIns } = await accountWithDevices(url, [DEVICES.chromeOnWindows]);
    const init = JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${signIns[0]!.token}` } });

    const closed = Array.from(
      { length: SOCKETS },
      () =>
        new Promise<void>((resolve) => {
          const socket = new WebSocket(wsUrl(url), 'graphql-transport-ws', { localAddress: DEVICES.chromeOnWindows.ip });
          socket.on('error', () => undefined);
          socket.on('close', () => resolve());
          socket.on('open', () => {
            socket.send(init);
            socket.terminate();
          });
        }),
    );
    await Promise.all(closed);

    // Every server-side socket has closed...
    await until(() => services.socketLimits.addressCount === 0, 'the server to see every socket close', 20_000);
    // ...and once the last token check has answered, none of them is left registered under the session.
    await until(() => services.sockets.size === 0, 'the registry to empty', 20_000).catch(() => undefined);
    expect(services.sockets.size).toBe(0);
    expect(services.sockets.countFor(signIns[0]!.session.id)).toBe(0);
  }, 60_000);
});
