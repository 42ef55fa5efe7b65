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

/**
 * What an app says about itself at sign-in (`device` of `login`/`register`). Whoever signs in
 * controls it, exactly like the User-Agent: it names the device, it proves nothing.
 */
export interface DeclaredDevice {
  name?: string | null;
  platform?: string | null;
  appVersion?: string | null;
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

/** An HTTP stack that native and cross-platform apps send as their User-Agent (no browser in it). */
interface AppStack {
  type: DeviceType;
  os: string | null;
  /** The app's own name and version when the stack carries them ("MyApp 2.3.1"), else the stack. */
  app: string;
  /** How the label names the device when the app declared nothing. */
  label: string;
}

/** Darwin's major version is iOS's plus 6 from iOS 14 (Darwin 20) on; older or odd values say nothing. */
function iosFromDarwin(darwin: string): string {
  const major = Number.parseInt(darwin, 10);
  return major >= 20 && major < 40 ? `iOS ${major - 6}` : 'iOS';
}

const APP_OS = /^(iOS|iPadOS|macOS|watchOS|tvOS|visionOS|Android)$/;

/**
 * React Native on Android and most Android apps (okhttp), Flutter (Dart's dart:io client), iOS apps
 * (CFNetwork, Alamofire) and Expo Go. isbot counts several of these as bots, since scripts use the
 * same libraries; a person's phone is the common case at a sign-in, and the IP and place still show.
 */
function appStack(ua: string): AppStack | null {
  let match = /^okhttp\/(\d[\w.-]*)/i.exec(ua);
  if (match) return { type: DeviceType.MOBILE, os: 'Android', app: `okhttp ${match[1]}`, label: 'Android app' };

  match = /^Dart\/(\d[\w.]*) \(dart:io\)/.exec(ua);
  if (match) return { type: DeviceType.MOBILE, os: null, app: `Dart ${match[1]}`, label: 'Flutter app' };

  // "MyApp/2.3.1 (com.example.myapp; build:45; iOS 17.2.0) Alamofire/5.8.1"
  match = /^([^/()]{1,64})\/([\w.-]{1,32}) \([^;()]*; build:[^;()]*; (\w+) ([\d.]+)\) Alamofire\/[\w.]+/.exec(ua);
  if (match) {
    const [, app, version, osName, osVersion] = match as unknown as [string, string, string, string, string];
    const known = APP_OS.test(osName);
    const type = osName === 'macOS' ? DeviceType.DESKTOP : osName === 'iPadOS' ? DeviceType.TABLET : DeviceType.MOBILE;
    const os = known ? `${osName} ${osVersion.replace(/\.0$/, '')}` : null;
    return { type, os, app: `${app.trim()} ${version}`, label: `${app.trim()} on ${known ? osName : 'iOS'}` };
  }

  // "MyApp/2.3.1 CFNetwork/1490.0.4 Darwin/23.2.0"; Expo Go sends "Expo/2.31.2 CFNetwork/…".
  match = /^([^/()]{1,64})\/([\w.-]{1,32}) CFNetwork\/[\w.]+ Darwin\/([\d.]+)/.exec(ua);
  if (match) {
    const [, rawApp, version, darwin] = match as unknown as [string, string, string, string];
    const app = decodeAppName(rawApp) === 'Expo' ? 'Expo Go' : decodeAppName(rawApp);
    return { type: DeviceType.MOBILE, os: iosFromDarwin(darwin), app: `${app} ${version}`, label: `${app} on iOS` };
  }
  match = /^CFNetwork\/[\w.]+ Darwin\/([\d.]+)/.exec(ua);
  if (match) return { type: DeviceType.MOBILE, os: iosFromDarwin(match[1] as string), app: 'CFNetwork', label: 'iOS app' };
  return null;
}

/** iOS percent-encodes non-ASCII bundle names in the User-Agent ("Ada%E2%80%99s%20App"). */
function decodeAppName(raw: string): string {
  try {
    return decodeURIComponent(raw).trim();
  } catch {
    return raw.trim();
  }
}

export function parseUserAgent(userAgent: string | undefined | null): DeviceInfo {
  const ua = (userAgent ?? '').slice(0, 512);
  const app = appStack(ua);
  if (app) return { type: app.type, os: app.os, browser: app.app, model: null, label: app.label };

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

const MOBILE_PLATFORM = /^(ios|android|ipados)\b/i;

/**
 * A declared string as stored and shown: one line, single spaces, no invisible format characters
 * (bidi overrides could reorder an email's text). Control characters never got this far (validation.ts).
 */
export function tidy(value: string | null | undefined): string | null {
  const line = value?.replace(/[\p{Cf}\p{Zl}\p{Zp}\s]+/gu, ' ').trim();
  return line ? line : null;
}

/**
 * The device as shown, from the User-Agent and what the app declared. The declared name and
 * platform shape the label ("Ada's Pixel 8 · Android app 2.3.1"), since the app knows them better
 * than any User-Agent; the parsed os/browser stay as the User-Agent said. The declared data never
 * decides more than that: a browser or bot User-Agent keeps its type (a declared "iOS" turns only
 * an UNKNOWN into MOBILE), "automated client" stays in the label, and the IP address and place are
 * shown beside the label everywhere (list, emails), from what the server saw.
 */
export function describeDevice(userAgent: string | undefined | null, declared?: DeclaredDevice | null): DeviceInfo {
  const parsed = parseUserAgent(userAgent);
  const name = tidy(declared?.name);
  const platform = tidy(declared?.platform);
  const appVersion = tidy(declared?.appVersion);
  if (!name && !platform && !appVersion) return parsed;

  const platformName = platform ?? parsed.os?.replace(/ [\d.]+$/, '') ?? null;
  const app = platformName || appVersion ? [platformName ?? 'App', platformName ? 'app' : null, appVersion].filter(Boolean).join(' ') : null;
  const parts = [name, app];
  if (parsed.type === DeviceType.BOT) parts.push('automated client');
  const type = parsed.type === DeviceType.UNKNOWN && platform && MOBILE_PLATFORM.test(platform) ? DeviceType.MOBILE : parsed.type;
  return { ...parsed, type, label: parts.filter(Boolean).join(' · ') };
}
