import { generate } from 'otplib';
import { currentTotpCode, newTotpSecret, totpStep, totpUri, verifyTotp } from '../../src/auth/two-factor/totp';

// A fixed secret (20 bytes) and an instant 10 s into its 30 s step: no flakiness at step edges.
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const NOW = new Date('2024-11-24T10:15:10Z');
const stepsFrom = (now: Date, steps: number) => new Date(now.getTime() + steps * 30_000);
const codeAt = (steps: number) => currentTotpCode(SECRET, stepsFrom(NOW, steps));

describe('TOTP', () => {
  it('makes distinct base32 secrets of at least 160 bits', () => {
    const a = newTotpSecret();
    const b = newTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32,}$/);
    expect(a).not.toBe(b);
  });

  it('verifies a code from a fresh secret, as an authenticator app would compute it', async () => {
    const secret = newTotpSecret();
    const code = await currentTotpCode(secret, NOW);
    expect(code).toMatch(/^\d{6}$/);
    await expect(verifyTotp(secret, code, { lastUsedStep: null, now: NOW })).resolves.toEqual({ ok: true, step: totpStep(NOW) });
  });

  it('builds an otpauth URI with the issuer and the account name', () => {
    const uri = new URL(totpUri({ secret: SECRET, accountName: 'alice+2fa@example.com' }));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/signoff:alice+2fa@example.com');
    expect(uri.searchParams.get('secret')).toBe(SECRET);
    expect(uri.searchParams.get('issuer')).toBe('signoff');
    expect(totpUri({ secret: SECRET, accountName: 'a@example.com', issuer: 'Acme' })).toContain('issuer=Acme');
  });

  it('agrees with otplib on the RFC 6238 code for an instant', async () => {
    const epoch = Math.floor(NOW.getTime() / 1000);
    await expect(codeAt(0)).resolves.toBe(await generate({ secret: SECRET, epoch }));
  });

  it('accepts the current code once and returns its step for replay protection', async () => {
    const code = await codeAt(0);
    const first = await verifyTotp(SECRET, code, { lastUsedStep: null, now: NOW });
    expect(first).toEqual({ ok: true, step: totpStep(NOW) });
    if (!first.ok) throw new Error('unreachable');

    // Same code, same step, a few seconds later: refused.
    await expect(verifyTotp(SECRET, code, { lastUsedStep: first.step, now: new Date(NOW.getTime() + 5_000) })).resolves.toEqual({ ok: false });
    // The previous step's code is still inside the drift window, but older than the one used: refused.
    await expect(verifyTotp(SECRET, await codeAt(-1), { lastUsedStep: first.step, now: NOW })).resolves.toEqual({ ok: false });
    // The next step's code is newer: accepted.
    await expect(verifyTotp(SECRET, await codeAt(1), { lastUsedStep: first.step, now: NOW })).resolves.toEqual({ ok: true, step: first.step + 1 });
  });

  it('tolerates one step of clock drift either way, not two', async () => {
    const step = totpStep(NOW);
    await expect(verifyTotp(SECRET, await codeAt(-1), { lastUsedStep: null, now: NOW })).resolves.toEqual({ ok: true, step: step - 1 });
    await expect(verifyTotp(SECRET, await codeAt(1), { lastUsedStep: null, now: NOW })).resolves.toEqual({ ok: true, step: step + 1 });
    await expect(verifyTotp(SECRET, await codeAt(-2), { lastUsedStep: null, now: NOW })).resolves.toEqual({ ok: false });
    await expect(verifyTotp(SECRET, await codeAt(2), { lastUsedStep: null, now: NOW })).resolves.toEqual({ ok: false });
  });

  it('ignores spaces a person types or pastes', async () => {
    const code = await codeAt(0);
    const spaced = ` ${code.slice(0, 3)} ${code.slice(3)}\t`;
    await expect(verifyTotp(SECRET, spaced, { lastUsedStep: null, now: NOW })).resolves.toMatchObject({ ok: true });
  });

  it('refuses garbage and wrong codes without throwing', async () => {
    const valid = new Set(await Promise.all([codeAt(-1), codeAt(0), codeAt(1)]));
    let wrong = '000000';
    for (let n = 0; valid.has(wrong); n++) wrong = String(n).padStart(6, '0');
    const code = await codeAt(0);
    for (const input of ['', '      ', 'abcdef', '12345', '1234567', `${code}0`, `-${code.slice(1)}`, '12e456', '１２３４５６', wrong]) {
      await expect(verifyTotp(SECRET, input, { lastUsedStep: null, now: NOW })).resolves.toEqual({ ok: false });
    }
  });

  it('refuses everything when the last used step is ahead of the clock, instead of throwing', async () => {
    const code = await codeAt(0);
    await expect(verifyTotp(SECRET, code, { lastUsedStep: totpStep(NOW) + 5, now: NOW })).resolves.toEqual({ ok: false });
  });

  it('throws on caller mistakes: a malformed secret or a fractional step', async () => {
    const code = await codeAt(0);
    await expect(verifyTotp('not base32!', code, { lastUsedStep: null, now: NOW })).rejects.toThrow();
    await expect(verifyTotp('JBSWY3DPEHPK3PXP', code, { lastUsedStep: null, now: NOW })).rejects.toThrow(); // 80 bits: too short
    await expect(verifyTotp(SECRET, code, { lastUsedStep: 1.5, now: NOW })).rejects.toThrow(TypeError);
  });
});
