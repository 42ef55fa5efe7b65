import { LoginDocument, RegisterDocument, SessionsDocument } from '../generated/graphql';
import { PASSWORD, uniqueEmail, verifyAddress } from '../support/accounts';
import { dataOf, errorCodes, graphql, type TestDevice } from '../support/client';
import { clusterPerSuite, sql } from '../support/cluster';

const REACT_NATIVE_ON_ANDROID: TestDevice = { ip: '127.0.0.21', userAgent: 'okhttp/4.12.0' };
const FLUTTER: TestDevice = { ip: '127.0.0.22', userAgent: 'Dart/3.3 (dart:io)' };
const IOS_APP: TestDevice = { ip: '127.0.0.23', userAgent: 'Sunrise/2.3.1 CFNetwork/1490.0.4 Darwin/23.2.0' };

const PIXEL = { name: "Ada's Pixel 8", platform: 'Android', appVersion: '2.3.1' };

describe('apps sign in as devices (Postgres)', () => {
  const env = clusterPerSuite({ smtp: true });

  const register = (email: string, device: TestDevice, declared?: object) =>
    graphql(env.url, RegisterDocument, { input: { email, password: PASSWORD, device: declared } }, { device });
  const login = (email: string, device: TestDevice, declared?: object) => graphql(env.url, LoginDocument, { input: { email, password: PASSWORD, device: declared } }, { device });

  it('register with the device input: the session, the list and the stored row show what the app declared', async () => {
    const email = uniqueEmail('app');
    const registered = dataOf(await register(email, REACT_NATIVE_ON_ANDROID, PIXEL)).register;
    expect(registered.session.device).toEqual({
      type: 'MOBILE',
      os: 'Android',
      browser: 'okhttp 4.12.0',
      model: null,
      label: "Ada's Pixel 8 · Android app 2.3.1",
      name: "Ada's Pixel 8",
      platform: 'Android',
      appVersion: '2.3.1',
    });

    const listed = dataOf(await graphql(env.url, SessionsDocument, {}, { token: registered.token, device: REACT_NATIVE_ON_ANDROID })).sessions;
    expect(listed.map((s) => s.device.label)).toEqual(["Ada's Pixel 8 · Android app 2.3.1"]);
    expect(listed[0]).toMatchObject({ ipAddress: REACT_NATIVE_ON_ANDROID.ip });

    const [row] = await sql(env, `SELECT device_name, device_platform, device_app_version, device_label FROM sessions WHERE id = $1`, [registered.session.id]);
    expect(row).toEqual({ device_name: "Ada's Pixel 8", device_platform: 'Android', device_app_version: '2.3.1', device_label: "Ada's Pixel 8 · Android app 2.3.1" });
  });

  it('apps that declare nothing are named by their stack, never "Automated client" or "Unknown device"', async () => {
    const email = uniqueEmail('app');
    const first = dataOf(await register(email, REACT_NATIVE_ON_ANDROID)).register;
    expect(first.session.device).toMatchObject({ type: 'MOBILE', label: 'Android app', name: null, platform: null, appVersion: null });
    expect(dataOf(await login(email, FLUTTER)).login.session.device).toMatchObject({ type: 'MOBILE', label: 'Flutter app' });
    expect(dataOf(await login(email, IOS_APP)).login.session.device).toMatchObject({ type: 'MOBILE', os: 'iOS 17', label: 'Sunrise on iOS' });
  });

  it('a sign-in from a newly declared device is flagged NEW_DEVICE and its alert email names it beside the IP; an app update is the same device', async () => {
    const email = uniqueEmail('app');
    dataOf(await register(email, IOS_APP, { name: 'Work iPhone', platform: 'iOS', appVersion: '1.0.0' }));
    await verifyAddress(env.url, email);

    const pixel = dataOf(await login(email, FLUTTER, PIXEL)).login;
    expect(pixel.session.flags).toEqual(['NEW_DEVICE']);
    const alert = await env.smtp.next((mail) => mail.to === email && /new sign-in/i.test(mail.subject));
    expect(alert.subject).toContain("Ada's Pixel 8 · Android app 2.3.1");
    expect(alert.text).toContain("Ada's Pixel 8 · Android app 2.3.1");
    expect(alert.text).toContain(FLUTTER.ip);

    // The same phone after an app update: no flag, no email.
    const updated = dataOf(await login(email, FLUTTER, { ...PIXEL, appVersion: '2.4.0' })).login;
    expect(updated.session.flags).toEqual([]);
    expect(updated.session.device.label).toBe("Ada's Pixel 8 · Android app 2.4.0");
    // Another declared name is another device.
    expect(dataOf(await login(email, FLUTTER, { ...PIXEL, name: "Ada's tablet" })).login.session.flags).toEqual(['NEW_DEVICE']);
  });

  it('stores the declared name on one line, without invisible bidi overrides', async () => {
    const email = uniqueEmail('app');
    const registered = dataOf(await register(email, FLUTTER, { name: 'Ada\u202e8 lexiP  \u2028phone', platform: 'Android' })).register;
    expect(registered.session.device).toMatchObject({ name: 'Ada 8 lexiP phone', label: 'Ada 8 lexiP phone · Android app' });
  });

  it.each([
    ['a control character in the name', { name: 'Ada\u0007' }, 'device.name'],
    ['a name over 64 characters', { name: 'x'.repeat(65) }, 'device.name'],
    ['markup in the platform', { platform: '<b>iOS</b>' }, 'device.platform'],
    ['a platform over 32 characters', { platform: 'A'.repeat(33) }, 'device.platform'],
    ['spaces in the app version', { appVersion: '2.3.1 beta' }, 'device.appVersion'],
    ['an empty app version', { appVersion: '' }, 'device.appVersion'],
  ])('refuses %s with BAD_USER_INPUT on register and login, and opens no session', async (_what, declared, field) => {
    const email = uniqueEmail('app');
    for (const attempt of [register(email, FLUTTER, declared), login(email, FLUTTER, declared)]) {
      const response = await attempt;
      expect(response.data ?? null).toBeNull();
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.extensions?.field).toBe(field);
    }
    const [row] = await sql(env, `SELECT count(*)::int AS n FROM users WHERE email = $1`, [email]);
    expect(row).toEqual({ n: 0 });
  });
});

describe('apps sign in as devices (embedded SQLite)', () => {
  const suite = clusterPerSuite({ backend: 'sqlite' });

  it('stores and lists the declared device', async () => {
    const email = uniqueEmail('app');
    const registered = dataOf(await graphql(suite.url, RegisterDocument, { input: { email, password: PASSWORD, device: PIXEL } }, { device: REACT_NATIVE_ON_ANDROID })).register;
    const listed = dataOf(await graphql(suite.url, SessionsDocument, {}, { token: registered.token, device: REACT_NATIVE_ON_ANDROID })).sessions;
    expect(listed[0]?.device).toMatchObject({ label: "Ada's Pixel 8 · Android app 2.3.1", name: "Ada's Pixel 8", platform: 'Android', appVersion: '2.3.1' });
  });
});
