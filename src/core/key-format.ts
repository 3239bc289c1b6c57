import { hash } from 'node:crypto';
import { crc32 } from './crc32.js';
import { randomBase62 } from './ids.js';

/**
 * Access key format, GitHub-style: `kw_` + 30 base62 random characters (~178 bits) +
 * 6 base62 characters of CRC32 over the prefix and body. The fixed prefix makes leaked
 * keys easy to find with secret scanners; the checksum lets us refuse typos and random
 * garbage without touching the store.
 */
export const KEY_PREFIX = 'kw_';
const BODY_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
export const KEY_LENGTH = KEY_PREFIX.length + BODY_LENGTH + CHECKSUM_LENGTH;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_PATTERN = /^kw_[0-9A-Za-z]{36}$/;

function encodeChecksum(value: number): string {
  let n = value;
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export function generateKey(): string {
  const head = KEY_PREFIX + randomBase62(BODY_LENGTH);
  return head + encodeChecksum(crc32(head));
}

/** Each base62 character's value, by character code (the pattern admits no other character). */
const DIGITS = (() => {
  const d = new Uint8Array(128);
  for (let i = 0; i < BASE62.length; i++) d[BASE62.charCodeAt(i)] = i;
  return d;
})();

/**
 * True when the key has the right shape and its checksum matches. The checksum characters are
 * read as a number and compared with the CRC of the head, without slicing or encoding strings:
 * on every verification of a presented key, so also on every request of random garbage. The same
 * answer as comparing `encodeChecksum(crc)` with them, since six base62 digits encode every
 * number below 62⁶ (> 2³²) exactly once.
 */
export function isWellFormedKey(key: string): boolean {
  if (key.length !== KEY_LENGTH || !KEY_PATTERN.test(key)) return false;
  let checksum = 0;
  for (let i = KEY_LENGTH - CHECKSUM_LENGTH; i < KEY_LENGTH; i++) checksum = checksum * 62 + (DIGITS[key.charCodeAt(i)] as number);
  return checksum === crc32(key, KEY_LENGTH - CHECKSUM_LENGTH);
}

export function hashSecret(secret: string): string {
  // One-shot hash: the same digest as createHash().update().digest(), without a Hash object per call (hot path).
  return hash('sha256', secret, 'hex');
}

/** The few characters shown in listings so a user can tell keys apart without the secret. */
export function displayStart(key: string): string {
  return key.slice(0, KEY_PREFIX.length + 6);
}
