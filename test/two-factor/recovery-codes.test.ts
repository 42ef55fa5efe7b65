import { hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCodes, normalizeRecoveryCode } from '../../src/auth/two-factor/recovery-codes';

const FORMAT = /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/;

describe('recovery codes', () => {
  it('makes ten distinct xxxxx-xxxxx codes by default, from an alphabet without look-alikes', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(FORMAT);
    expect(newRecoveryCodes(3)).toHaveLength(3);
  });

  it('draws from all 32 symbols (5 bits each, 50 bits a code)', () => {
    const symbols = new Set(newRecoveryCodes(100).join('').replace(/-/g, ''));
    expect(symbols.size).toBe(32);
    for (const ambiguous of ['i', 'l', 'o', 'u']) expect(symbols.has(ambiguous)).toBe(false);
  });

  it('refuses a nonsensical count', () => {
    expect(() => newRecoveryCodes(0)).toThrow(RangeError);
    expect(() => newRecoveryCodes(2.5)).toThrow(RangeError);
  });

  it('hashes to SHA-256 hex, the same however the code is typed', () => {
    const hash = hashRecoveryCode('k3v9q-7dm1a');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    for (const typed of ['K3V9Q-7DM1A', 'k3v9q7dm1a', ' k3v9q 7dm1a ', 'k3v9q–7dmla', 'K3V9Q 7DMIA']) {
      expect(hashRecoveryCode(typed)).toBe(hash);
    }
    expect(hashRecoveryCode('k3v9q-7dm1b')).not.toBe(hash);
    expect(hashRecoveryCode('c0de0-00000')).toBe(hashRecoveryCode('CODEO-OOOOO'));
  });

  it('normalises to the ten symbols alone', () => {
    expect(normalizeRecoveryCode(' AbCdE-fGhJk ')).toBe('abcdefghjk');
  });

  it('tells recovery codes from TOTP codes and garbage', () => {
    for (const code of newRecoveryCodes()) {
      expect(looksLikeRecoveryCode(code)).toBe(true);
      expect(looksLikeRecoveryCode(code.toUpperCase().replace('-', ' '))).toBe(true);
    }
    for (const input of ['123456', '123 456', '', 'abcde', 'abcde-fghjkm', 'abcde-fghj!', 'abcde-fghju', `${'a'.repeat(5)}-${'-'.repeat(80)}aaaaa`]) {
      expect(looksLikeRecoveryCode(input)).toBe(false);
    }
  });
});
