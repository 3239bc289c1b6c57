import { KEY_LENGTH, KEY_PREFIX } from './key-format.js';

/**
 * Patterns that find Keyward keys in code and logs, derived from the key format (key-format.ts),
 * for `keyward leak-rules`: a gitleaks rule and a GitHub secret-scanning custom pattern.
 */
const escaped = KEY_PREFIX.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const BODY = KEY_LENGTH - KEY_PREFIX.length;

/** The key itself: the prefix and 36 base62 characters (30 random, 6 checksum). */
export const KEY_REGEX = `${escaped}[0-9A-Za-z]{${BODY}}`;

/** A gitleaks rule (TOML), bounded so a longer base62 run around the key is not mistaken for one. */
export function gitleaksRule(): string {
  return [
    '[[rules]]',
    'id = "keyward-access-key"',
    'description = "Keyward access key"',
    `regex = '''(?:^|[^0-9A-Za-z_])(${KEY_REGEX})(?:[^0-9A-Za-z]|$)'''`,
    'secretGroup = 1',
    `keywords = ["${KEY_PREFIX}"]`,
    '',
  ].join('\n');
}

/** GitHub custom pattern: the secret format, and the before/after boundaries it asks for separately. */
export function githubCustomPattern(): { secretFormat: string; before: string; after: string } {
  return { secretFormat: KEY_REGEX, before: '\\A|[^0-9A-Za-z_]', after: '\\z|[^0-9A-Za-z]' };
}
