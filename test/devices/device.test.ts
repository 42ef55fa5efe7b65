import { describeDevice, parseUserAgent } from '../../src/devices/device';
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
    ['Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', { type: 'TABLET', model: 'iPad' }],
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

describe('apps are devices, not bots', () => {
  it.each([
    // React Native and most Android apps
    ['okhttp/4.12.0', { type: 'MOBILE', os: 'Android', label: 'Android app' }],
    // Flutter (dart:io's HttpClient)
    ['Dart/3.3 (dart:io)', { type: 'MOBILE', os: null, label: 'Flutter app' }],
    // A native iOS app through URLSession
    ['Sunrise/2.3.1 CFNetwork/1490.0.4 Darwin/23.2.0', { type: 'MOBILE', os: 'iOS 17', browser: 'Sunrise 2.3.1', label: 'Sunrise on iOS' }],
    ['CFNetwork/1410.0.3 Darwin/22.4.0', { type: 'MOBILE', os: 'iOS 16', label: 'iOS app' }],
    // Alamofire's default User-Agent
    ['Sunrise/2.3.1 (com.example.sunrise; build:45; iOS 17.2.0) Alamofire/5.8.1', { type: 'MOBILE', os: 'iOS 17.2', browser: 'Sunrise 2.3.1', label: 'Sunrise on iOS' }],
    ['Sunrise/2.3.1 (com.example.sunrise; build:45; macOS 14.2.0) Alamofire/5.8.1', { type: 'DESKTOP', os: 'macOS 14.2', label: 'Sunrise on macOS' }],
    // Expo Go on iOS (on Android it sends okhttp's)
    ['Expo/2.31.2 CFNetwork/1496.0.7 Darwin/23.5.0', { type: 'MOBILE', os: 'iOS 17', browser: 'Expo Go 2.31.2', label: 'Expo Go on iOS' }],
  ])('%s', (userAgent, expected) => {
    const device = parseUserAgent(userAgent);
    expect(device).toMatchObject(expected);
    expect(device.type).not.toBe('BOT');
    expect(device.label).not.toMatch(/automated|unknown/i);
  });

  it.each(['curl/8.4.0', 'python-requests/2.31.0', 'Go-http-client/1.1'])('still calls %s an automated client', (userAgent) => {
    expect(parseUserAgent(userAgent)).toMatchObject({ type: 'BOT', label: 'Automated client' });
  });
});

describe('what an app declares about its device', () => {
  it('names the device by what the app declared: "name · platform app version"', () => {
    expect(describeDevice('okhttp/4.12.0', { name: "Ada's Pixel 8", platform: 'Android', appVersion: '2.3.1' })).toMatchObject({
      type: 'MOBILE',
      os: 'Android',
      label: "Ada's Pixel 8 · Android app 2.3.1",
    });
    expect(describeDevice('Dart/3.3 (dart:io)', { platform: 'iOS', appVersion: '1.0.0' })).toMatchObject({ type: 'MOBILE', label: 'iOS app 1.0.0' });
    // The platform falls back to the User-Agent's operating system.
    expect(describeDevice('Sunrise/2.3.1 CFNetwork/1490.0.4 Darwin/23.2.0', { name: 'Work iPhone' }).label).toBe('Work iPhone · iOS app');
    expect(describeDevice('', { appVersion: '3.0' }).label).toBe('App 3.0');
  });

  it('declares nothing: the User-Agent alone decides, as before', () => {
    expect(describeDevice('okhttp/4.12.0', null)).toEqual(parseUserAgent('okhttp/4.12.0'));
    expect(describeDevice('okhttp/4.12.0', { name: '  ', platform: null })).toEqual(parseUserAgent('okhttp/4.12.0'));
  });

  it('cannot hide an automated client or turn a browser into a phone', () => {
    const bot = describeDevice('curl/8.4.0', { name: "Ada's iPhone", platform: 'iOS' });
    expect(bot).toMatchObject({ type: 'BOT', label: "Ada's iPhone · iOS app · automated client" });
    const desktop = describeDevice('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', {
      name: "Ada's iPhone",
      platform: 'iOS',
    });
    expect(desktop).toMatchObject({ type: 'DESKTOP', os: 'Windows 10', browser: 'Chrome 126' });
  });

  it('keeps the label on one line', () => {
    expect(describeDevice('', { name: 'Ada\u2028Pixel\u200e  8' }).label).toBe('Ada Pixel 8');
  });
});
