import { confirmationCode, newSignInAlert, passwordReset, publicLink } from '../../src/mail/templates';

const PUBLIC_URL = 'https://signoff.example.com';
const REPORT_URL = publicLink(PUBLIC_URL, '/sign-ins/report', { token: 'rpt_abc123' });
const SECURITY_URL = publicLink(PUBLIC_URL, '/security');
const AT = new Date('2024-11-24T10:15:42Z');

const alert = (overrides: Partial<Parameters<typeof newSignInAlert>[0]> = {}) =>
  newSignInAlert({
    to: 'alice@example.com',
    deviceLabel: 'Chrome on Windows',
    place: 'Berlin, Germany',
    ipAddress: '203.0.113.7',
    at: AT,
    reportUrl: REPORT_URL,
    securityUrl: SECURITY_URL,
    ...overrides,
  });

/** Every http(s) URL a reader or a mail client could follow, in text or in an attribute. */
const urlsIn = (content: string) => content.match(/https?:\/\/[^\s"'<>]+/g) ?? [];
const decodeEntities = (html: string) => html.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&');

describe('publicLink', () => {
  it('builds a link under the public URL with encoded parameters', () => {
    expect(REPORT_URL).toBe('https://signoff.example.com/sign-ins/report?token=rpt_abc123');
    const link = new URL(publicLink(PUBLIC_URL, '/reset', { token: 'a b&c=d/é', next: '?' }));
    expect(link.origin).toBe(PUBLIC_URL);
    expect(link.searchParams.get('token')).toBe('a b&c=d/é');
    expect(link.searchParams.get('next')).toBe('?');
    expect(link.hash).toBe('');
  });

  it('keeps the path prefix of a public URL', () => {
    expect(publicLink('https://example.com/account', '/security', {})).toBe('https://example.com/account/security');
  });

  it.each(['//evil.example/x', 'https://evil.example/x', 'evil.example', '/a/../../x', '/./x', '/a\\b', '/a?b=c', '/a#b', '/%2e%2e/x', '/a b', ''])(
    'refuses the path %p',
    (path) => {
      expect(() => publicLink(PUBLIC_URL, path, {})).toThrow(/publicLink/);
    },
  );

  it('refuses a public URL that is not http(s)', () => {
    expect(() => publicLink('javascript:alert(1)', '/x', {})).toThrow(/http/);
  });
});

describe('new sign-in alert', () => {
  it('shows the account, device, place, IP and time in UTC', () => {
    const { to, subject, text, html } = alert();
    expect(to).toBe('alice@example.com');
    expect(subject).toBe('New sign-in to your account from Chrome on Windows');
    for (const body of [text, html]) {
      expect(body).toContain('alice@example.com');
      expect(body).toContain('Chrome on Windows');
      expect(body).toContain('Berlin, Germany');
      expect(body).toContain('203.0.113.7');
      expect(body).toContain('Sunday 24 November 2024 at 10:15 UTC');
      expect(body).toContain('there is nothing to do');
    }
    expect(text).toMatch(/^New sign-in to your account \(alice@example.com\) from Chrome on Windows, Berlin, Germany, on Sunday 24 November 2024 at 10:15 UTC\./);
  });

  it('has exactly one link, the report link on the public URL, and says which site it opens', () => {
    const { text, html } = alert();
    expect(urlsIn(text)).toEqual([REPORT_URL]);
    expect(html.match(/<a\s/g)).toHaveLength(1);
    expect(new Set(urlsIn(decodeEntities(html)))).toEqual(new Set([REPORT_URL]));
    expect(REPORT_URL.startsWith(`${PUBLIC_URL}/`)).toBe(true);
    expect(text).toContain('This link opens our site, signoff.example.com:');
    // The device list is an address to type, not a second link.
    expect(text).toContain('type signoff.example.com/security into your browser');
    // Nothing remote: no images, stylesheets or scripts.
    expect(html).not.toMatch(/<(img|link|script|iframe|form)\b/i);
  });

  it('never asks for a password or a code', () => {
    const { text } = alert();
    expect(text).toContain('We never ask for your password or a code by email.');
    expect(text).not.toMatch(/\b(enter|type|reply with|send us) (your|the) (password|code)\b/i);
  });

  it('escapes a hostile device label and keeps it from adding lines or links', () => {
    const hostile = '<script>alert("x")</script>\nVisit https://evil.example/login or evil.example now';
    const { subject, text, html } = alert({ deviceLabel: hostile, place: 'Berlin & <b>Co</b>' });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>Co</b>');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
    expect(html).toContain('Berlin &#38; &#60;b&#62;Co&#60;/b&#62;');
    expect(subject).not.toMatch(/[\r\n]/);
    expect(urlsIn(text)).toEqual([REPORT_URL]);
    expect(new Set(urlsIn(decodeEntities(html)))).toEqual(new Set([REPORT_URL]));
    expect(`${text}${html}`).not.toMatch(/evil\.example/);
    expect(text).toContain('evil[.]example');
  });

  it('says so when the place is unknown', () => {
    const { text, html } = alert({ place: null });
    expect(text).toContain('from Chrome on Windows, on Sunday');
    expect(text).toContain('Place:       unknown');
    expect(html).toContain('unknown');
  });

  it('refuses a report link that is not http(s)', () => {
    expect(() => alert({ reportUrl: 'javascript:alert(1)' })).toThrow(/reportUrl/);
  });
});

describe('confirmation code', () => {
  const message = confirmationCode({
    to: 'alice@example.com',
    code: '042917',
    expiresInMinutes: 10,
    deviceLabel: 'Safari on iOS',
    place: 'Lyon, France',
  });

  it('shows the code, who asked for it and for how long it works, and has no link', () => {
    expect(message.subject).toBe('Your confirmation code');
    expect(message.subject).not.toContain('042917'); // not on a lock screen
    for (const body of [message.text, message.html]) {
      expect(body).toContain('042917');
      expect(body).toContain('requested from Safari on iOS, Lyon, France');
      expect(body).toContain('expires in 10 minutes');
      expect(body).toContain('Never share this code');
      expect(urlsIn(body)).toEqual([]);
    }
    expect(message.html).not.toMatch(/<a\s/);
  });

  it('refuses a code that is not digits', () => {
    expect(() => confirmationCode({ to: 'a@example.com', code: '<b>1</b>', expiresInMinutes: 10, deviceLabel: 'x', place: null })).toThrow();
  });
});

describe('password reset', () => {
  const resetUrl = publicLink(PUBLIC_URL, '/reset-password', { token: 'rst_xyz' });
  const message = passwordReset({ to: 'alice@example.com', resetUrl, expiresInMinutes: 1, deviceLabel: 'Firefox on macOS', place: null });

  it('gives the one single-use link, its lifetime, and what to do if it was not you', () => {
    expect(message.subject).toBe('Reset your password');
    for (const body of [message.text, message.html]) {
      expect(body).toContain('alice@example.com');
      expect(body).toContain('Firefox on macOS (place unknown)');
      expect(body).toContain('works once, and expires in 1 minute:');
      expect(body).toContain('If you did not ask, ignore this email; your password is unchanged.');
    }
    expect(urlsIn(message.text)).toEqual([resetUrl]);
    expect(new Set(urlsIn(decodeEntities(message.html)))).toEqual(new Set([resetUrl]));
    expect(message.html.match(/<a\s/g)).toHaveLength(1);
  });

  it('refuses a nonsensical lifetime', () => {
    expect(() => passwordReset({ to: 'a@example.com', resetUrl, expiresInMinutes: 0, deviceLabel: 'x', place: null })).toThrow(/expiresInMinutes/);
  });
});
