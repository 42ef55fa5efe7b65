import { BeginTotpSetupDocument, ChangePasswordDocument, ConfirmTotpSetupDocument, DisableTotpDocument } from '../generated/graphql';
import { currentTotpCode } from '../../src/auth/two-factor/totp';
import { securityChange } from '../../src/mail/templates';
import { accountWithDevices, PASSWORD } from '../support/accounts';
import { dataOf, DEVICES, graphql } from '../support/client';
import { clusterPerSuite } from '../support/cluster';

describe('the owner hears of every change to how the account is protected', () => {
  const env = clusterPerSuite({ smtp: true });

  it('a password change emails who changed it, from where, with no link', async () => {
    const { email, signIns } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows]);
    dataOf(await graphql(env.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: 'another passphrase' }, { token: signIns[0]!.token }));

    const notice = await env.smtp.next((m) => m.to === email && m.subject === 'Your password was changed');
    expect(notice.text).toContain('Chrome on Windows');
    expect(notice.text).toContain('127.0.0.2');
    expect(notice.text).not.toMatch(/https?:\/\//);
    expect(notice.html).not.toMatch(/<a\s/i);
  });

  it('turning two-factor on and off each email the owner', async () => {
    const { email, signIns } = await accountWithDevices(env.url, [DEVICES.safariOnIphone]);
    const token = signIns[0]!.token;
    const { secret } = dataOf(await graphql(env.url, BeginTotpSetupDocument, {}, { token, device: DEVICES.safariOnIphone })).beginTotpSetup;
    dataOf(await graphql(env.url, ConfirmTotpSetupDocument, { code: await currentTotpCode(secret) }, { token, device: DEVICES.safariOnIphone }));
    const on = await env.smtp.next((m) => m.to === email && /turned on/.test(m.subject));
    expect(on.text).toContain('Safari on iOS');

    dataOf(await graphql(env.url, DisableTotpDocument, { confirmation: { password: PASSWORD } }, { token, device: DEVICES.safariOnIphone }));
    const off = await env.smtp.next((m) => m.to === email && /turned off/.test(m.subject));
    expect(off.text).toContain('Safari on iOS');
  });

  it('escapes what the User-Agent controls', () => {
    const mail = securityChange({
      to: 'ada@example.com',
      change: 'PASSWORD_CHANGED',
      deviceLabel: '<script>alert(1)</script> evil.com',
      place: null,
      ipAddress: '203.0.113.9',
      at: new Date('2026-11-24T10:15:00Z'),
    });
    expect(mail.html).not.toContain('<script>');
    expect(mail.text).not.toContain('evil.com');
    expect(mail.text).toContain('10:15 UTC');
  });
});
