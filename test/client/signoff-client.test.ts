import WebSocket from 'ws';
import { createSignoffClient, login, MeDocument, SessionsDocument, SignoffError, type SignedOutEvent } from '../../client/src/index';
import { RevokeSessionDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD } from '../support/accounts';
import { dataOf, DEVICES, graphql } from '../support/client';
import { deferred, within } from '../support/deferred';
import { clusterPerSuite } from '../support/cluster';

/** A client that counts its connection attempts and reports its closes; reconnects at once when it may. */
function watchedClient(url: string, token: string) {
  const counts = { connecting: 0, connected: 0 };
  const closes: { code: number; reason: string }[] = [];
  const closed = deferred<{ code: number; reason: string }>();
  const reconnected = deferred<void>();
  const client = createSignoffClient({
    url,
    token,
    webSocketImpl: WebSocket,
    retryWait: async () => {},
    on: {
      connecting: () => void counts.connecting++,
      connected: () => {
        if (++counts.connected === 2) reconnected.resolve();
      },
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closes.push({ code, reason });
        closed.resolve({ code, reason });
      },
    },
  });
  const signedOut = deferred<SignedOutEvent>();
  client.onSignedOut(signedOut.resolve);
  return { client, counts, closes, closed: closed.promise, reconnected: reconnected.promise, signedOut: signedOut.promise };
}

describe('@signoff/client', () => {
  const cluster = clusterPerSuite();

  it('hands sessionTerminated to onSignedOut, then never reconnects after 4401, while a drop for another reason reconnects', async () => {
    const { signIns } = await accountWithDevices(cluster.url, [DEVICES.chromeOnWindows, DEVICES.safariOnIphone, DEVICES.chromeOnPixel]);
    const [a, b, c] = signIns;
    const revoked = watchedClient(cluster.url, b!.token);
    const reference = watchedClient(cluster.url, c!.token);
    cluster.track(revoked.client);
    cluster.track(reference.client);
    await cluster.waitForSubscribers(2);

    dataOf(await graphql(cluster.url, RevokeSessionDocument, { id: b!.session.id, confirmation: { password: PASSWORD } }, { token: a!.token, device: a!.device }));
    const event = await within(revoked.signedOut, 5000, 'onSignedOut');
    expect(event).toMatchObject({ reason: 'REVOKED', terminatedBy: { id: a!.session.id, device: { label: 'Chrome on Windows' } } });
    expect(await within(revoked.closed, 5000, 'the close')).toEqual({ code: 4401, reason: 'Session terminated' });
    expect(revoked.client.signedOut).toBe(true);

    // Same-run reference: the server drops the other client's socket with 1001 (an instance going
    // away). It reconnects at once (retryWait is immediate for both), so a retry of the revoked
    // client, which closed earlier, would have happened by now.
    cluster.instances[0]!.services.sockets.closeSession(c!.session.id, 1001, 'Going away');
    await within(reference.reconnected, 10_000, 'the reference client to reconnect');
    expect(reference.counts.connecting).toBe(2);
    expect(revoked.counts.connecting).toBe(1);
    expect(revoked.closes).toHaveLength(1);
    expect(reference.client.signedOut).toBe(false);
  });

  it('reports UNAUTHORIZED when the token is refused at connection_init or over HTTP, once', async () => {
    const { signIns } = await accountWithDevices(cluster.url, [DEVICES.chromeOnWindows, DEVICES.firefoxOnMac]);
    const [a, b] = signIns;
    dataOf(await graphql(cluster.url, RevokeSessionDocument, { id: b!.session.id, confirmation: { password: PASSWORD } }, { token: a!.token, device: a!.device }));

    const dead = watchedClient(cluster.url, b!.token);
    cluster.track(dead.client);
    expect(await within(dead.signedOut, 5000, 'onSignedOut')).toEqual({ reason: 'UNAUTHORIZED', terminatedAt: null, terminatedBy: null });
    expect((await dead.closed).code).toBe(4401);

    const calls: SignedOutEvent[] = [];
    dead.client.onSignedOut((signedOutEvent) => calls.push(signedOutEvent));
    const refused = await dead.client.request(MeDocument).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(SignoffError);
    expect((refused as SignoffError).code).toBe('UNAUTHENTICATED');
    expect(calls).toEqual([]); // signed out already: listeners hear it once
    expect(dead.counts.connecting).toBe(1);
  });

  it('login returns a token the client can use; errors carry their code', async () => {
    const { email } = await accountWithDevices(cluster.url, [DEVICES.chromeOnWindows]);
    const wrong = await login({ url: cluster.url, email, password: 'not the password at all' }).catch((err: unknown) => err);
    expect(wrong).toBeInstanceOf(SignoffError);
    expect((wrong as SignoffError).code).toBe('INVALID_CREDENTIALS');

    const signedIn = await login({ url: cluster.url, email, password: PASSWORD });
    const { client } = watchedClient(cluster.url, signedIn.token);
    cluster.track(client);
    const { sessions } = await client.request(SessionsDocument);
    expect(sessions.find((session) => session.current)?.id).toBe(signedIn.session.id);
  });

  it('login sends input.device only when the app gives one', async () => {
    const bodies: { variables: { input: Record<string, unknown> } }[] = [];
    // A stub server: what matters here is the request the helper builds.
    const recordingFetch = (async (_url: string, init: { body: string }) => {
      bodies.push(JSON.parse(init.body) as (typeof bodies)[number]);
      return new Response(JSON.stringify({ data: { login: { token: 't' } } }), { headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof fetch;
    await login({ url: cluster.url, fetch: recordingFetch, email: 'a@example.com', password: PASSWORD });
    await login({ url: cluster.url, fetch: recordingFetch, email: 'a@example.com', password: PASSWORD, device: { name: 'Work phone', platform: 'ios', appVersion: '1.2.0' } });
    expect(bodies[0]!.variables.input).toEqual({ email: 'a@example.com', password: PASSWORD });
    expect(bodies[1]!.variables.input).toEqual({ email: 'a@example.com', password: PASSWORD, device: { name: 'Work phone', platform: 'ios', appVersion: '1.2.0' } });
  });
});
