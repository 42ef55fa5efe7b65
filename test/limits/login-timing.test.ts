import { randomBytes } from 'node:crypto';
import { LoginDocument, RegisterDocument } from '../generated/graphql';
import { PASSWORD, uniqueEmail } from '../support/accounts';
import { DEVICES, errorCodes, graphql, type TestDevice } from '../support/client';
import { clusterPerSuite } from '../support/cluster';

// A known address's LOGIN_FAILED event is written after the answer, so it spills into the next request:
// the pairs alternate which address goes first, so that neither side always pays for it.
const TRIES = 30;

// Counts argon2id hashes made by the server in this process (the cluster runs in-process), so the
// first-unknown-address test asserts the mechanism instead of one cold, noisy timing sample.
jest.mock('@node-rs/argon2', () => {
  const actual = jest.requireActual('@node-rs/argon2');
  let hashes = 0;
  return {
    ...actual,
    hash: (...args: unknown[]) => {
      hashes++;
      return actual.hash(...args);
    },
    mockHashCount: () => hashes,
  };
});
const hashesMade = () => jest.requireMock<{ mockHashCount(): number }>('@node-rs/argon2').mockHashCount();
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function timedLogin(url: string, email: string, device: TestDevice): Promise<number> {
  const started = process.hrtime.bigint();
  const response = await graphql(url, LoginDocument, { input: { email, password: `wrong ${randomBytes(4).toString('hex')} password` } }, { device });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  expect(errorCodes(response)).toEqual(['INVALID_CREDENTIALS']);
  return ms;
}

describe('a wrong password for a known address and any password for an unknown one take the same time', () => {
  const suite = clusterPerSuite();

  it('the first unknown address after start costs one argon2id verification, like a known one (the decoy hash is made at start)', async () => {
    const known = uniqueEmail();
    const registered = await graphql(suite.url, RegisterDocument, { input: { email: known, password: PASSWORD } });
    expect(registered.errors).toBeUndefined();
    const device = { ...DEVICES.safariOnIphone, ip: '127.0.20.1' };
    await timedLogin(suite.url, known, { ...device, ip: '127.0.20.2' });
    // Made when the process started, the decoy is never hashed on a request: the first unknown
    // address pays one verification, as a known one does, not a hash and a verification.
    const hashesBefore = hashesMade();
    await timedLogin(suite.url, uniqueEmail(), device);
    await timedLogin(suite.url, uniqueEmail(), device);
    expect(hashesMade()).toBe(hashesBefore);
  });

  it(`over ${TRIES} tries each, the median times are within 30 %`, async () => {
    // A fresh account per try, so that no address collects enough failures to be slowed down.
    const knownEmails: string[] = [];
    for (let i = 0; i < TRIES; i++) {
      const email = uniqueEmail();
      const registered = await graphql(suite.url, RegisterDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.chromeOnPixel });
      expect(registered.errors).toBeUndefined();
      knownEmails.push(email);
    }
    const device = { ...DEVICES.firefoxOnMac, ip: '127.0.21.1' };
    const known: number[] = [];
    const unknown: number[] = [];
    // Interleaved, so that load on the machine falls on both alike.
    for (let i = 0; i < TRIES; i++) {
      const knownFirst = i % 2 === 0;
      if (knownFirst) known.push(await timedLogin(suite.url, knownEmails[i]!, device));
      unknown.push(await timedLogin(suite.url, uniqueEmail(), device));
      if (!knownFirst) known.push(await timedLogin(suite.url, knownEmails[i]!, device));
    }
    const [k, u] = [median(known), median(unknown)];
    expect(Math.abs(k - u) / Math.max(k, u)).toBeLessThan(0.3);
  });
});
