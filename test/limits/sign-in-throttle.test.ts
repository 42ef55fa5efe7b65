import { LoginDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD } from '../support/accounts';
import { DEVICES, errorCodes, graphql, type TestDevice } from '../support/client';
import { clusterPerSuite } from '../support/cluster';
import { MAX_DELAY_MS } from '../../src/auth/sign-in-throttle.service';

/** A device at its own loopback address, as a guess from another IP of a botnet would be. */
const fromIp = (ip: string): TestDevice => ({ ...DEVICES.firefoxOnMac, ip });

async function attempt(url: string, email: string, password: string, device: TestDevice): Promise<{ code: unknown; ms: number }> {
  const started = Date.now();
  const response = await graphql(url, LoginDocument, { input: { email, password } }, { device });
  return { code: errorCodes(response)[0] ?? 'OK', ms: Date.now() - started };
}

describe('sign-in failures slow guessing without ever locking the owner out', () => {
  const suite = clusterPerSuite({ count: 2 });
  const urls = () => suite.instances.map((instance) => instance.url) as [string, string];

  it('ten wrong passwords from one IP lock that IP out of the address; the owner, from another IP, signs in', async () => {
    const [url] = urls();
    const { email } = await accountWithDevices(url, [DEVICES.chromeOnWindows]);
    const guesser = fromIp('127.0.10.1');
    const codes: unknown[] = [];
    for (let i = 0; i < 11; i++) codes.push((await attempt(url, email, `guess number ${i}`, guesser)).code);
    expect(codes).toEqual([...Array(10).fill('INVALID_CREDENTIALS'), 'RATE_LIMITED']);
    expect((await attempt(url, email, PASSWORD, guesser)).code).toBe('RATE_LIMITED');

    const owner = await attempt(url, email, PASSWORD, DEVICES.chromeOnWindows);
    expect(owner.code).toBe('OK');
    expect(owner.ms).toBeLessThan(MAX_DELAY_MS + 3000);
  });

  it('guesses from many IPs slow every attempt on the address, on every instance, by at most the bounded delay', async () => {
    const [first, second] = urls();
    const { email } = await accountWithDevices(first, [DEVICES.chromeOnWindows]);
    // Six IPs, two guesses each, alternating between the instances: no IP, no pair reaches a hard limit.
    const results: { code: unknown; ms: number }[] = [];
    for (let i = 0; i < 12; i++) results.push(await attempt(i % 2 ? second : first, email, `guess number ${i}`, fromIp(`127.0.11.${1 + (i >> 1)}`)));
    expect(results.map((r) => r.code)).toEqual(Array(12).fill('INVALID_CREDENTIALS'));
    // The first guesses are answered at once; once the address has had several failures, each attempt waits.
    expect(Math.max(...results.slice(0, 4).map((r) => r.ms))).toBeLessThan(1000);
    expect(Math.min(...results.slice(-3).map((r) => r.ms))).toBeGreaterThanOrEqual(MAX_DELAY_MS * 0.9);

    // The owner, from an IP that never guessed, on the other instance, with the right password: in, after the bounded delay.
    const owner = await attempt(second, email, PASSWORD, DEVICES.chromeOnWindows);
    expect(owner.code).toBe('OK');
    expect(owner.ms).toBeGreaterThanOrEqual(MAX_DELAY_MS * 0.9);
    expect(owner.ms).toBeLessThan(MAX_DELAY_MS + 3000);
  }, 60_000);

  it('the delay holds no database connection: many slowed attempts at once still leave the service answering', async () => {
    const [url] = urls();
    const { email } = await accountWithDevices(url, [DEVICES.chromeOnWindows]);
    for (let i = 0; i < 8; i++) await attempt(url, email, `guess number ${i}`, fromIp(`127.0.12.${i + 1}`));
    // Far more waiting attempts than the pool has connections (10 by default).
    const waiting = Array.from({ length: 40 }, (_, i) => attempt(url, email, `parallel guess ${i}`, fromIp(`127.0.13.${i + 1}`)));
    const other = await accountWithDevices(url, [DEVICES.safariOnIphone]);
    const meanwhile = await attempt(url, other.email, PASSWORD, DEVICES.safariOnIphone);
    expect(meanwhile.code).toBe('OK');
    expect(meanwhile.ms).toBeLessThan(MAX_DELAY_MS);
    expect((await Promise.all(waiting)).map((r) => r.code)).toEqual(Array(40).fill('INVALID_CREDENTIALS'));
  });
});
