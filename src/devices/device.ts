import { isbot } from 'isbot';
import UAParser from 'ua-parser-js';

export enum DeviceType {
  DESKTOP = 'DESKTOP',
  MOBILE = 'MOBILE',
  TABLET = 'TABLET',
  BOT = 'BOT',
  UNKNOWN = 'UNKNOWN',
}

/** What a person would recognise their device by, parsed once at sign-in and stored with the session. */
export interface DeviceInfo {
  type: DeviceType;
  os: string | null;
  browser: string | null;
  model: string | null;
  label: string;
}

const DESKTOP_OS = /^(windows|mac ?os|linux|ubuntu|debian|fedora|chrom(e|ium) ?os|freebsd|openbsd)/i;

/** Names as people say them, not as parsers spell them. */
const BROWSER_NAMES: Record<string, string> = {
  'Mobile Safari': 'Safari',
  'Chrome Headless': 'Headless Chrome',
  'Chrome WebView': 'Android WebView',
  Instagram: 'Instagram App',
  Facebook: 'Facebook App',
  Twitter: 'X App',
  'Mobile Firefox': 'Firefox',
  'Samsung Browser': 'Samsung Internet',
};
const OS_NAMES: Record<string, string> = { 'Mac OS': 'macOS', 'Chromium OS': 'ChromeOS', 'Chrome OS': 'ChromeOS' };

function deviceType(parsed: UAParser.IResult, osName: string | undefined): DeviceType {
  switch (parsed.device.type) {
    case 'mobile':
      return DeviceType.MOBILE;
    case 'tablet':
      return DeviceType.TABLET;
    case undefined:
      return osName && DESKTOP_OS.test(osName) ? DeviceType.DESKTOP : DeviceType.UNKNOWN;
    default:
      return DeviceType.UNKNOWN; // consoles, TVs, wearables, embedded
  }
}

export function parseUserAgent(userAgent: string | undefined | null): DeviceInfo {
  const ua = (userAgent ?? '').slice(0, 512);
  const parsed = new UAParser(ua).getResult();
  const osName = parsed.os.name ? (OS_NAMES[parsed.os.name] ?? parsed.os.name) : undefined;
  const browserName = parsed.browser.name ? (BROWSER_NAMES[parsed.browser.name] ?? parsed.browser.name) : undefined;
  const os = osName ? [osName, parsed.os.version].filter(Boolean).join(' ') : null;
  const browser = browserName ? [browserName, parsed.browser.major].filter(Boolean).join(' ') : null;
  const model = parsed.device.model ?? null;
  const type = ua && isbot(ua) ? DeviceType.BOT : deviceType(parsed, parsed.os.name);

  let label: string;
  if (browserName && osName) label = `${browserName} on ${osName}`;
  else if (browserName || osName) label = (browserName ?? osName) as string;
  else if (model) label = model;
  else if (type === DeviceType.BOT) label = 'Automated client';
  else label = 'Unknown device';

  return { type, os, browser, model, label };
}
