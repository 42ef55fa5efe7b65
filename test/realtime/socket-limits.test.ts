import { print } from 'graphql';
import WebSocket from 'ws';
import { LoginDocument, OnSessionsChangedDocument, OnSessionTerminatedDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD } from '../support/accounts';
import { dataOf, DEVICES, graphql, LiveConnection, wsUrl, type CloseInfo, type TestDevice } from '../support/client';
import { deferred, within, until } from '../support/deferred';
import { clusterPerSuite } from '../support/cluster';

const PER_SESSION = 20; // the default
const PER_ADDRESS = 30; // stands in for the default 200, to keep the suite light
const PER_SOCKET = 20; // the default

describe('WebSocket caps', () => {
  const cluster = clusterPerSuite({ env: { WS_MAX_SOCKETS_PER_IP: String(PER_ADDRESS), TRUST_PROXY: 'loopback' } });
  // After the cluster's own drain: the registry and per-address counts must be back to 0 for the next test.
  afterEach(async () => {
    const { sockets, socketLimits } = cluster.instances[0]!.services;
    await until(() => sockets.size === 0 && socketLimits.addressCount === 0, 'every socket to be released', 5000);
  });
  const connect = (token: string, device: TestDevice): Promise<LiveConnection> => cluster.connect(token, device);

  /** How a real graphql-ws client's connection attempt ends: acknowledged, or the close the server sent. */
  async function attempt(token: string, device: TestDevice): Promise<string> {
    return connect(token, device).then(
      () => 'connected',
      (err: Error) => err.message,
    );
  }

  async function signIn(email: string, device: TestDevice): Promise<string> {
    return dataOf(await graphql(cluster.url, LoginDocument, { input: { email, password: PASSWORD } }, { device })).login.token;
  }

  it('closes the 21st socket of a session with 4429, while another session of the account, from the same address, still connects; closing one frees a slot', async () => {
    const { email, signIns } = await accountWithDevices(cluster.url, [DEVICES.chromeOnWindows]);
    const stolen = signIns[0]!;
    const sockets = await Promise.all(Array.from({ length: PER_SESSION }, () => connect(stolen.token, stolen.device)));

    expect(await attempt(stolen.token, stolen.device)).toBe('closed 4429 Too many connections for this session');
    // The owner's other session is not charged for the first one's sockets.
    const owner = await signIn(email, DEVICES.chromeOnWindows);
    expect(await attempt(owner, DEVICES.chromeOnWindows)).toBe('connected');

    await sockets[0]!.dispose();
    await until(() => cluster.instances[0]!.services.sockets.countFor(stolen.session.id) === PER_SESSION - 1, 'the slot to be freed', 5000);
    expect(await attempt(stolen.token, stolen.device)).toBe('connected');
  });

  it(`closes the socket over ${PER_ADDRESS} from one client address with 4429, counting sockets that never authenticated; other addresses connect`, async () => {
    const { email, signIns } = await accountWithDevices(cluster.url, [DEVICES.chromeOnWindows]);
    const device = DEVICES.chromeOnWindows;
    const first = signIns[0]!.token;
    const second = await signIn(email, device);
    const held = [
      ...(await Promise.all(Array.from({ length: PER_SESSION }, () => connect(first, device)))),
      ...(await Promise.all(Array.from({ length: PER_ADDRESS - PER_SESSION - 1 }, () => connect(second, device)))),
    ];
    // The last slot goes to a socket that never sends connection_init.
    const idle = new WebSocket(wsUrl(cluster.url), 'graphql-transport-ws', { localAddress: device.ip });
    await new Promise((resolve) => idle.once('open', resolve));
    try {
      expect(await attempt(second, device)).toBe('closed 4429 Too many connections from this address');
      // Another address is unaffected, for the same session.
      expect(await attempt(second, DEVICES.safariOnIphone)).toBe('connected');

      await held[0]!.dispose();
      await until(() => cluster.instances[0]!.services.socketLimits.addressCount === PER_ADDRESS, 'the slot to be freed', 5000);
      expect(await attempt(second, device)).toBe('connected');
    } finally {
      idle.terminate();
    }
  });

  it('counts the client address a trusted proxy forwards (TRUST_PROXY), not the proxy’s', async () => {
    const proxied: WebSocket[] = [];
    // A bare socket through "a proxy" on 127.0.0.2 (trusted: loopback) for the client it names.
    const through = (token: string, client: string) =>
      within(
        new Promise<CloseInfo | 'acknowledged'>((resolve, reject) => {
          const socket = new WebSocket(wsUrl(cluster.url), 'graphql-transport-ws', { localAddress: DEVICES.chromeOnWindows.ip, headers: { 'x-forwarded-for': client } });
          proxied.push(socket);
          socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
          socket.on('message', () => resolve('acknowledged'));
          socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
          socket.on('error', reject);
        }),
        5000,
        'the server to answer connection_init',
      );
    try {
      // Two sessions, so the per-session cap is not what stops them.
      const first = (await accountWithDevices(cluster.url, [DEVICES.chromeOnWindows])).signIns[0]!.token;
      const second = (await accountWithDevices(cluster.url, [DEVICES.firefoxOnMac])).signIns[0]!.token;
      for (let i = 0; i < PER_ADDRESS; i++) expect(await through(i < PER_SESSION ? first : second, '203.0.113.7')).toBe('acknowledged');

      expect(await through(second, '203.0.113.7')).toEqual({ code: 4429, reason: 'Too many connections from this address' });
      // Another client behind the same proxy has its own allowance.
      expect(await through(second, '203.0.113.8')).toBe('acknowledged');
    } finally {
      for (const socket of proxied) socket.terminate();
    }
  });

  it('closes a socket that starts a 21st operation with 4429; completing one makes room', async () => {
    const { signIns } = await accountWithDevices(cluster.url, [DEVICES.chromeOnWindows]);
    const connection = await connect(signIns[0]!.token, DEVICES.chromeOnWindows);
    const stops: (() => void)[] = [];
    for (let i = 0; i < PER_SOCKET; i++) {
      const query = print(i % 2 ? OnSessionsChangedDocument : OnSessionTerminatedDocument);
      stops.push(connection.client.subscribe({ query }, { next: () => undefined, error: () => undefined, complete: () => undefined }));
    }
    await cluster.waitForSubscribers(PER_SOCKET);

    // One stops, another starts: still within the cap.
    stops[0]!();
    await until(() => cluster.instances[0]!.services.hub.subscriptionCount() === PER_SOCKET - 1, 'the subscription to stop', 5000);
    connection.client.subscribe({ query: print(OnSessionTerminatedDocument) }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    await cluster.waitForSubscribers(PER_SOCKET);

    const refused = deferred<unknown>();
    connection.client.subscribe({ query: print(OnSessionsChangedDocument) }, { next: () => undefined, error: (err) => refused.resolve(err), complete: () => undefined });
    expect(await connection.waitForClose()).toEqual({ code: 4429, reason: 'Too many subscriptions' });
    await within(refused.promise, 5000, 'the 21st subscription to fail');
  });
});
