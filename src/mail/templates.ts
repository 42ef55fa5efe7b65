import type { MailMessage } from './mailer';

/**
 * The emails the service sends. Pure functions: every value a message shows is passed in, and
 * every link is built by the caller with {@link publicLink}, so a message can only ever link to
 * the configured public URL.
 *
 * Phishing-resistant by design: a message shows which account it is about and what happened
 * (device, place, IP, time); it never asks for a password or a code; it has at most one link,
 * says which site that link opens, and carries no images or other remote content.
 */

export interface NewSignInAlertInput {
  to: string;
  /** "Chrome on Windows" */
  deviceLabel: string;
  /** "Berlin, Germany"; null when the IP has no known place (private networks, unknown ranges). */
  place: string | null;
  ipAddress: string;
  at: Date;
  /** Where "it wasn't me" leads: a page on our site that confirms before signing the device out. */
  reportUrl: string;
  /** The account's device list; shown as an address to type, never as a second link. */
  securityUrl: string;
  /** The last alert the address gets for a while (the per-address cap): later sign-ins show only in the device list. */
  lastForAnHour?: boolean;
}

export interface ConfirmationCodeInput {
  to: string;
  code: string;
  expiresInMinutes: number;
  /** The device that asked for the code. */
  deviceLabel: string;
  place: string | null;
}

/** A change to how the account is protected, told to its owner after the fact. */
export type SecurityChange = 'PASSWORD_CHANGED' | 'TWO_FACTOR_ENABLED' | 'TWO_FACTOR_DISABLED' | 'TWO_FACTOR_CLEARED_BY_RESET';

export interface SecurityChangeInput {
  to: string;
  change: SecurityChange;
  /** The device that made the change. */
  deviceLabel: string;
  place: string | null;
  ipAddress: string;
  at: Date;
}

export interface PasswordResetInput {
  to: string;
  resetUrl: string;
  expiresInMinutes: number;
  /** A reset turns off two-factor set up within this many days; the email says so. */
  clearsTwoFactorSetUpWithinDays?: number;
  /** The device that asked for the reset. */
  deviceLabel: string;
  place: string | null;
}

/**
 * An absolute link to `path` under `publicUrl` (config.publicUrl, which may carry a path prefix),
 * with `params` as its query string. Throws on a `path` that could leave the public URL: anything
 * but a plain absolute path (`//host`, `\`, a scheme, `?`, `#`, `.` or `..` segments).
 */
export function publicLink(publicUrl: string, path: string, params: Record<string, string> = {}): string {
  const base = new URL(publicUrl);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new Error(`publicLink: the public URL must be http(s), got "${base.protocol}"`);
  }
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(path) || path.startsWith('//') || path.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new Error(`publicLink: "${path}" is not a plain absolute path`);
  }
  const prefix = base.pathname.replace(/\/+$/, '');
  const link = new URL(base.origin);
  link.pathname = `${prefix}${path}`;
  for (const [name, value] of Object.entries(params)) link.searchParams.append(name, value);
  // Belt and braces: whatever URL parsing did, the result must still sit under the public URL.
  if (link.origin !== base.origin || !(link.pathname === prefix || link.pathname.startsWith(`${prefix}/`))) {
    throw new Error(`publicLink: "${path}" resolves outside the public URL`);
  }
  return link.href;
}

/** "New sign-in to your account from Chrome on Windows, Berlin, Germany, on ... at 10:15 UTC." */
export function newSignInAlert(input: NewSignInAlertInput): MailMessage {
  const report = httpUrl(input.reportUrl, 'reportUrl');
  const security = httpUrl(input.securityUrl, 'securityUrl');
  const device = shown(input.deviceLabel);
  const place = input.place === null ? null : shown(input.place);
  const ip = shown(input.ipAddress, 64);
  const time = formatUtc(input.at);
  const from = place ? `${device}, ${place}` : device;
  // Without the scheme, so people can type it and mail clients do not turn it into a second link.
  const typeIn = `${security.host}${security.pathname === '/' ? '' : security.pathname}`;

  const quiet = input.lastForAnHour
    ? 'This is the last sign-in alert we send you for up to an hour, so that sign-ins cannot flood your mailbox: look at the devices signed in to your account for any later ones.'
    : null;
  const text = [
    `New sign-in to your account (${input.to}) from ${from}, on ${time}.`,
    '',
    `Device:      ${device}`,
    `Place:       ${place ? `${place} (approximate, from the IP address)` : 'unknown'}`,
    `IP address:  ${ip}`,
    `Time:        ${time}`,
    '',
    'If this was you, there is nothing to do.',
    '',
    `If it wasn't you, sign that device out and change your password. This link opens our site, ${report.host}:`,
    report.href,
    '',
    `It is the only link in this email. We never ask for your password or a code by email. To check without any link, type ${typeIn} into your browser and look at the devices signed in to your account.`,
    ...(quiet ? ['', quiet] : []),
  ].join('\n');

  const html = layout(`New sign-in to your account from ${device}`, [
    `<p>New sign-in to your account <strong>${esc(input.to)}</strong> from ${esc(from)}, on ${esc(time)}.</p>`,
    '<table role="presentation" style="border-collapse: collapse; margin: 16px 0;">',
    row('Device', esc(device)),
    row('Place', place ? `${esc(place)} <span style="color: #666;">(approximate, from the IP address)</span>` : 'unknown'),
    row('IP address', esc(ip)),
    row('Time', esc(time)),
    '</table>',
    '<p><strong>If this was you</strong>, there is nothing to do.</p>',
    `<p><strong>If it wasn't you</strong>, sign that device out and change your password. This link opens our site, <strong>${esc(report.host)}</strong>:</p>`,
    `<p><a href="${esc(report.href)}">${esc(report.href)}</a></p>`,
    `<p style="color: #666; font-size: 13px;">It is the only link in this email. We never ask for your password or a code by email. To check without any link, type ${esc(typeIn)} into your browser and look at the devices signed in to your account.</p>`,
    ...(quiet ? [`<p>${esc(quiet)}</p>`] : []),
  ]);

  return { to: input.to, subject: `New sign-in to your account from ${device}`, text, html };
}

/** The code that confirms a sensitive action (signing devices out, turning off two-factor). No link. */
export function confirmationCode(input: ConfirmationCodeInput): MailMessage {
  if (!/^\d{4,10}$/.test(input.code)) throw new Error('confirmationCode: the code must be digits');
  const minutes = duration(input.expiresInMinutes);
  const from = requestedFrom(input.deviceLabel, input.place);

  const text = [
    `Your confirmation code is: ${input.code}`,
    '',
    `It confirms a sensitive action on your account (${input.to}), such as signing devices out or turning off two-factor authentication. It was requested from ${from} and expires in ${minutes}.`,
    '',
    'Never share this code with anyone. We will never ask you for it by phone, chat or email: only type it yourself on our site, where you asked for it.',
    '',
    'If you did not ask for it, do not use it: someone may know your password, so change it.',
  ].join('\n');

  const html = layout('Your confirmation code', [
    '<p>Your confirmation code is:</p>',
    `<p style="font-size: 28px; font-weight: bold; letter-spacing: 4px; font-family: monospace;">${esc(input.code)}</p>`,
    `<p>It confirms a sensitive action on your account <strong>${esc(input.to)}</strong>, such as signing devices out or turning off two-factor authentication. It was requested from ${esc(from)} and expires in ${esc(minutes)}.</p>`,
    '<p><strong>Never share this code with anyone.</strong> We will never ask you for it by phone, chat or email: only type it yourself on our site, where you asked for it.</p>',
    '<p>If you did not ask for it, do not use it: someone may know your password, so change it.</p>',
  ]);

  return { to: input.to, subject: 'Your confirmation code', text, html };
}

/** The single-use link that lets someone choose a new password. */
export function passwordReset(input: PasswordResetInput): MailMessage {
  const reset = httpUrl(input.resetUrl, 'resetUrl');
  const minutes = duration(input.expiresInMinutes);
  const from = requestedFrom(input.deviceLabel, input.place);
  const days = input.clearsTwoFactorSetUpWithinDays;
  const twoFactorNote =
    days === undefined
      ? null
      : `Setting a new password signs out every device, and turns off two-factor authentication if it was turned on in the last ${days} days (in case someone else turned it on); you can turn it on again afterwards.`;

  const text = [
    `Someone asked to reset the password of your account (${input.to}), from ${from}.`,
    '',
    `To choose a new password, open this link. It opens our site, ${reset.host}, works once, and expires in ${minutes}:`,
    reset.href,
    '',
    ...(twoFactorNote ? [twoFactorNote, ''] : []),
    'If you did not ask, ignore this email; your password is unchanged.',
    '',
    'We never ask for your password by email.',
  ].join('\n');

  const html = layout('Reset your password', [
    `<p>Someone asked to reset the password of your account <strong>${esc(input.to)}</strong>, from ${esc(from)}.</p>`,
    `<p>To choose a new password, open this link. It opens our site, <strong>${esc(reset.host)}</strong>, works once, and expires in ${esc(minutes)}:</p>`,
    `<p><a href="${esc(reset.href)}">${esc(reset.href)}</a></p>`,
    ...(twoFactorNote ? [`<p>${esc(twoFactorNote)}</p>`] : []),
    '<p><strong>If you did not ask, ignore this email; your password is unchanged.</strong></p>',
    '<p style="color: #666; font-size: 13px;">We never ask for your password by email.</p>',
  ]);

  return { to: input.to, subject: 'Reset your password', text, html };
}

const CHANGE_WORDING: Record<SecurityChange, { subject: string; done: string; ifNotYou: string }> = {
  PASSWORD_CHANGED: {
    subject: 'Your password was changed',
    done: 'The password of your account was changed',
    ifNotYou: 'someone else has access to your account: ask for a password reset on our site at once, which signs every device out',
  },
  TWO_FACTOR_ENABLED: {
    subject: 'Two-factor authentication was turned on',
    done: 'Two-factor authentication was turned on for your account',
    ifNotYou: 'someone else has access to your account and may have locked you out: contact support from our site',
  },
  TWO_FACTOR_DISABLED: {
    subject: 'Two-factor authentication was turned off',
    done: 'Two-factor authentication was turned off for your account',
    ifNotYou: 'someone else has access to your account: ask for a password reset on our site at once, then turn two-factor back on',
  },
  TWO_FACTOR_CLEARED_BY_RESET: {
    subject: 'Two-factor authentication was turned off by a password reset',
    done: 'Two-factor authentication, turned on in the last 7 days, was turned off (in case someone else had turned it on) by a password reset of your account',
    ifNotYou: 'someone can read this mailbox: secure your email account first, then ask for a new password reset on our site',
  },
};

/** "Your password was changed from Chrome on Windows, Berlin, at ...": no link, so it cannot be used for phishing. */
export function securityChange(input: SecurityChangeInput): MailMessage {
  const wording = CHANGE_WORDING[input.change];
  const from = requestedFrom(input.deviceLabel, input.place);
  const when = formatUtc(input.at);
  const text = [
    `${wording.done} (${input.to}) from ${from}, IP address ${shown(input.ipAddress)}, on ${when}.`,
    '',
    'If this was you, there is nothing to do.',
    '',
    `If it wasn't you, ${wording.ifNotYou}.`,
    '',
    'This email has no link on purpose: go to our site yourself. We never ask for your password or a code by email.',
  ].join('\n');
  const html = layout(wording.subject, [
    `<p>${esc(wording.done)} <strong>${esc(input.to)}</strong>.</p>`,
    '<table role="presentation" style="border-collapse: collapse; margin: 16px 0;">',
    row('Device', esc(shown(input.deviceLabel))),
    row('Place', esc(input.place ? shown(input.place) : 'unknown')),
    row('IP address', esc(shown(input.ipAddress))),
    row('Time', esc(when)),
    '</table>',
    '<p><strong>If this was you</strong>, there is nothing to do.</p>',
    `<p><strong>If it wasn't you</strong>, ${esc(wording.ifNotYou)}.</p>`,
    '<p style="color: #666; font-size: 13px;">This email has no link on purpose: go to our site yourself. We never ask for your password or a code by email.</p>',
  ]);
  return { to: input.to, subject: wording.subject, text, html };
}

function esc(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * Device labels and models come from the User-Agent, which whoever signs in controls. One line,
 * bounded, and with anything domain-like broken ("evil[.]com"), so a crafted User-Agent can
 * neither add lines nor become a link when a mail client auto-links text.
 */
function shown(value: string, max = 80): string {
  const line = value.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\s]+/gu, ' ').trim();
  const bounded = line.length > max ? `${line.slice(0, max - 1)}…` : line;
  return (bounded || 'unknown').replace(/:\/\//g, '[:]//').replace(/([\p{L}\p{N}-])\.(?=\p{L}{2})/gu, '$1[.]');
}

function requestedFrom(deviceLabel: string, place: string | null): string {
  const device = shown(deviceLabel);
  return place === null ? `${device} (place unknown)` : `${device}, ${shown(place)}`;
}

function httpUrl(value: string, name: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} must be an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${name} must be http(s)`);
  return url;
}

function duration(minutes: number): string {
  if (!Number.isInteger(minutes) || minutes < 1) throw new Error('expiresInMinutes must be a positive integer');
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

const WEEKDAY = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'long' });
const MONTH = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', month: 'long' });

/** "Sunday 24 November 2024 at 10:15 UTC": UTC, since we do not know the reader's time zone. */
function formatUtc(at: Date): string {
  const time = at.toISOString().slice(11, 16);
  return `${WEEKDAY.format(at)} ${at.getUTCDate()} ${MONTH.format(at)} ${at.getUTCFullYear()} at ${time} UTC`;
}

function row(label: string, valueHtml: string): string {
  return `<tr><td style="padding: 2px 16px 2px 0; color: #666;">${label}</td><td style="padding: 2px 0;">${valueHtml}</td></tr>`;
}

/** Inline styles only and nothing remote: no images, fonts or tracking pixels. */
function layout(title: string, body: string[]): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(title)}</title></head>`,
    '<body style="margin: 0; padding: 24px; font-family: -apple-system, \'Segoe UI\', Helvetica, Arial, sans-serif; font-size: 15px; line-height: 1.5; color: #1a1a1a;">',
    '<div style="max-width: 560px; margin: 0 auto;">',
    ...body,
    '</div>',
    '</body>',
    '</html>',
  ].join('\n');
}

export interface EmailVerificationInput {
  to: string;
  verifyUrl: string;
  expiresInHours: number;
  /** The address is held by an account that never proved it: confirming takes it from that account. */
  claimsFromAnotherAccount: boolean;
  /** The device that registered. */
  deviceLabel: string;
  place: string | null;
}

export interface RegistrationAttemptInput {
  to: string;
  /** The device that tried to register. */
  deviceLabel: string;
  place: string | null;
  at: Date;
}

/** The single-use link that proves an address belongs to the person who registered with it. */
export function emailVerification(input: EmailVerificationInput): MailMessage {
  const verify = httpUrl(input.verifyUrl, 'verifyUrl');
  if (!Number.isInteger(input.expiresInHours) || input.expiresInHours < 1) throw new Error('expiresInHours must be a positive integer');
  const hours = input.expiresInHours === 1 ? '1 hour' : `${input.expiresInHours} hours`;
  const from = requestedFrom(input.deviceLabel, input.place);
  const claim = input.claimsFromAnotherAccount
    ? 'An account already uses this address without having confirmed it. Confirming signs that account out everywhere and moves the address to the account you just registered.'
    : null;

  const text = [
    `Someone registered an account with this address (${input.to}), from ${from}.`,
    '',
    `If it was you, confirm the address with this link. It opens our site, ${verify.host}, works once, and expires in ${hours}:`,
    verify.href,
    '',
    ...(claim ? [claim, ''] : []),
    'If it was not you, ignore this email: nothing happens without the link.',
    '',
    'We never ask for your password by email.',
  ].join('\n');

  const html = layout('Confirm your email address', [
    `<p>Someone registered an account with this address <strong>${esc(input.to)}</strong>, from ${esc(from)}.</p>`,
    `<p>If it was you, confirm the address with this link. It opens our site, <strong>${esc(verify.host)}</strong>, works once, and expires in ${esc(hours)}:</p>`,
    `<p><a href="${esc(verify.href)}">${esc(verify.href)}</a></p>`,
    ...(claim ? [`<p>${esc(claim)}</p>`] : []),
    '<p><strong>If it was not you, ignore this email:</strong> nothing happens without the link.</p>',
    '<p style="color: #666; font-size: 13px;">We never ask for your password by email.</p>',
  ]);

  return { to: input.to, subject: 'Confirm your email address', text, html };
}

/** Told to the verified owner of an address when someone registers with it again. No link. */
export function registrationAttempt(input: RegistrationAttemptInput): MailMessage {
  const from = requestedFrom(input.deviceLabel, input.place);
  const when = formatUtc(input.at);
  const text = [
    `Someone tried to register a new account with your address (${input.to}), from ${from}, on ${when}.`,
    '',
    'Your account is unchanged, and the new registration cannot sign in with this address.',
    '',
    'If it was you, sign in to your existing account instead; if you forgot the password, ask for a reset on our site.',
    '',
    'This email has no link on purpose: go to our site yourself. We never ask for your password or a code by email.',
  ].join('\n');
  const html = layout('Someone tried to register with your address', [
    `<p>Someone tried to register a new account with your address <strong>${esc(input.to)}</strong>, from ${esc(from)}, on ${esc(when)}.</p>`,
    '<p>Your account is unchanged, and the new registration cannot sign in with this address.</p>',
    '<p>If it was you, sign in to your existing account instead; if you forgot the password, ask for a reset on our site.</p>',
    '<p style="color: #666; font-size: 13px;">This email has no link on purpose: go to our site yourself. We never ask for your password or a code by email.</p>',
  ]);
  return { to: input.to, subject: 'Someone tried to register with your address', text, html };
}
