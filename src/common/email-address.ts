import { BadUserInputError } from './errors';

/** `extensions.reason` values of an address refused by normalizeEmail (README "Errors"). */
const EmailReason = {
  EMAIL_INVISIBLE_CHARACTERS: 'EMAIL_INVISIBLE_CHARACTERS',
  EMAIL_MIXED_SCRIPTS: 'EMAIL_MIXED_SCRIPTS',
} as const;

// Format, bidirectional and other invisible characters (zero-width space and joiners, BOM, word
// joiner, soft hyphen, bidi overrides, variation selectors, tag characters) and any space left inside.
// eslint-disable-next-line no-misleading-character-class -- the class lists lone combining and filler characters on purpose
const INVISIBLE = /[\p{Cf}\p{Zs}\p{Zl}\p{Zp}\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u3164\uFE00-\uFE0F\uFFA0]|\uDB40[\uDD00-\uDDEF]/u;

/**
 * Scripts one part of an address (the mailbox, each domain label) may mix, after Unicode's "highly restrictive" profile (UTS #39 §5.2):
 * one script, or Latin with the scripts Japanese, Chinese and Korean writing combine it with.
 * Anything else (Latin with Cyrillic or Greek above all) is how look-alike addresses are made.
 */
const SCRIPTS = ['Latin', 'Cyrillic', 'Greek', 'Armenian', 'Georgian', 'Hebrew', 'Arabic', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo', 'Thai', 'Devanagari'] as const;
type Script = (typeof SCRIPTS)[number] | 'Other';
const SCRIPT_PATTERNS = SCRIPTS.map((script) => [script, new RegExp(`\\p{Script=${script}}`, 'u')] as const);
const ALLOWED_MIXES: Script[][] = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
];

function scriptOf(letter: string): Script {
  for (const [script, pattern] of SCRIPT_PATTERNS) if (pattern.test(letter)) return script;
  return 'Other';
}

function isSingleOrAllowedMix(scripts: Set<Script>): boolean {
  if (scripts.size <= 1) return true;
  if (scripts.has('Other')) return false;
  return ALLOWED_MIXES.some((mix) => [...scripts].every((script) => mix.includes(script)));
}

/**
 * The one form in which an address is stored and looked up (register, login, password reset):
 * NFKC, trimmed, lowercased. Refuses, with BAD_USER_INPUT on `field`, an address that hides
 * invisible characters or mixes scripts, so that no look-alike of an address can become a
 * second account.
 */
export function normalizeEmail(email: string, field = 'email'): string {
  const normalized = email.normalize('NFKC').trim().toLowerCase();
  if (INVISIBLE.test(normalized)) {
    throw new BadUserInputError('The email address contains invisible characters or spaces.', field, EmailReason.EMAIL_INVISIBLE_CHARACTERS);
  }
  // Per part: a Cyrillic mailbox at a Latin domain is a real address; a Cyrillic 'а' inside a Latin name is not.
  const at = normalized.lastIndexOf('@');
  const parts = at < 0 ? [normalized] : [normalized.slice(0, at), ...normalized.slice(at + 1).split('.')];
  for (const part of parts) {
    const scripts = new Set<Script>();
    for (const letter of part.match(/\p{L}/gu) ?? []) scripts.add(scriptOf(letter));
    if (!isSingleOrAllowedMix(scripts)) {
      throw new BadUserInputError('The email address mixes letters of different alphabets; type it again in one.', field, EmailReason.EMAIL_MIXED_SCRIPTS);
    }
  }
  return normalized;
}
