import geoip from 'geoip-lite';

/** Approximate place of an IP, from the GeoLite data shipped inside the geoip-lite package (no download). */
export interface GeoLocation {
  countryCode: string | null;
  country: string | null;
  region: string | null;
  city: string | null;
}

export const UNKNOWN_LOCATION: GeoLocation = Object.freeze({ countryCode: null, country: null, region: null, city: null });

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });

function countryName(code: string): string | null {
  try {
    return countryNames.of(code) ?? null;
  } catch {
    return null;
  }
}

/** Private, loopback and unknown addresses have no place: every field is null. */
export function locateIp(ip: string): GeoLocation {
  const hit = geoip.lookup(ip);
  if (!hit || !hit.country) return UNKNOWN_LOCATION;
  return {
    countryCode: hit.country,
    country: countryName(hit.country),
    region: hit.region || null,
    city: hit.city || null,
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
