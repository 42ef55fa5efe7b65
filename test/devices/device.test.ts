import { parseUserAgent } from '../../src/devices/device';
import { normalizeIp } from '../../src/devices/client-address';
import { describeLocation, locateIp } from '../../src/devices/location';

describe('what a person recognises their device by', () => {
  it.each([
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
      { type: 'MOBILE', os: 'iOS 17.4', browser: 'Safari 17', model: 'iPhone', label: 'Safari on iOS' },
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
      { type: 'DESKTOP', browser: 'Chrome 126', label: 'Chrome on macOS' },
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 330.0.0.0',
      { type: 'MOBILE', browser: 'Instagram App 330', label: 'Instagram App on iOS' },
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
      { type: 'TABLET', model: 'iPad' },
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36',
      { type: 'MOBILE', os: 'Android 14', model: 'Pixel 8', label: 'Chrome on Android' },
    ],
    ['Googlebot/2.1 (+http://www.google.com/bot.html)', { type: 'BOT' }],
    ['', { type: 'UNKNOWN', os: null, browser: null, model: null, label: 'Unknown device' }],
  ])('%s', (userAgent, expected) => {
    expect(parseUserAgent(userAgent)).toMatchObject(expected);
  });
});

describe('where an address is', () => {
  it('finds country, region and city offline for a public address', () => {
    const place = locateIp('81.2.69.142');
    expect(place).toMatchObject({ countryCode: 'GB', country: 'United Kingdom' });
    expect(place.city).toEqual(expect.any(String));
    expect(describeLocation(place)).toContain('United Kingdom');
  });

  it('names the region in words, and places IPv6 and IPv4-mapped addresses too', () => {
    expect(locateIp('81.2.69.142')).toMatchObject({ countryCode: 'GB', region: 'England' });
    expect(locateIp('::ffff:81.2.69.142')).toEqual(locateIp('81.2.69.142'));
    expect(locateIp('2a00:1450:4001:80b::200e')).toMatchObject({ countryCode: 'DE', country: 'Germany', region: 'Hesse' });
  });

  it.each(['127.0.0.1', '10.1.2.3', '192.168.0.10', '::1'])('has no place for %s', (ip) => {
    expect(locateIp(ip)).toEqual({ countryCode: null, country: null, region: null, city: null });
  });

  it('shows IPv4 addresses the way people write them', () => {
    expect(normalizeIp('::ffff:127.0.0.3')).toBe('127.0.0.3');
    expect(normalizeIp('2001:DB8::1')).toBe('2001:db8::1');
  });
});
