import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/core/crc32.js';
import { displayStart, generateKey, hashSecret, isWellFormedKey, KEY_LENGTH } from '../../src/core/key-format.js';

describe('access key format', () => {
  it('matches the standard CRC-32 check value', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
  });

  it('generates well-formed, distinct keys with the kw_ prefix', () => {
    const keys = new Set(Array.from({ length: 200 }, generateKey));
    expect(keys.size).toBe(200);
    for (const k of keys) {
      expect(k).toMatch(/^kw_[0-9A-Za-z]{36}$/);
      expect(k.length).toBe(KEY_LENGTH);
      expect(isWellFormedKey(k)).toBe(true);
    }
  });

  it('refuses a key with any single character changed (checksum)', () => {
    const key = generateKey();
    let refused = 0;
    for (let i = 3; i < key.length; i++) {
      const c = key[i] === 'a' ? 'b' : 'a';
      if (!isWellFormedKey(key.slice(0, i) + c + key.slice(i + 1))) refused++;
    }
    expect(refused).toBe(key.length - 3);
  });

  it('refuses wrong prefix, length and alphabet', () => {
    const key = generateKey();
    expect(isWellFormedKey(`xx_${key.slice(3)}`)).toBe(false);
    expect(isWellFormedKey(key.slice(0, -1))).toBe(false);
    expect(isWellFormedKey(`${key}a`)).toBe(false);
    expect(isWellFormedKey(`${key.slice(0, 10)}-${key.slice(11)}`)).toBe(false);
    expect(isWellFormedKey('')).toBe(false);
  });

  it('reads the checksum as the encode-and-compare rule does, on random keys, re-checksummed keys and extreme checksums', () => {
    const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    // The rule before: encode the head's CRC as six base62 characters and compare strings.
    const encode = (v: number) => {
      let n = v;
      let out = '';
      for (let i = 0; i < 6; i++) {
        out = B62[n % 62] + out;
        n = Math.floor(n / 62);
      }
      return out;
    };
    const byEncoding = (k: string) => /^kw_[0-9A-Za-z]{36}$/.test(k) && encode(crc32(k.slice(0, 33))) === k.slice(33);
    const rnd = (n: number) => Array.from({ length: n }, () => B62[Math.floor(Math.random() * 62)]).join('');
    const samples: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const head = `kw_${rnd(30)}`;
      samples.push(head + rnd(6), head + encode(crc32(head)), `${head}zzzzzz`, `${head}000000`, head + encode((crc32(head) + 1) % 2 ** 32));
    }
    let valid = 0;
    for (const k of samples) {
      expect(isWellFormedKey(k)).toBe(byEncoding(k));
      if (isWellFormedKey(k)) valid++;
    }
    expect(valid).toBeGreaterThanOrEqual(2000);
    expect(crc32('123456789abc', 9)).toBe(0xcbf43926);
  });

  it('stores SHA-256 and shows only a short start', () => {
    const key = generateKey();
    expect(hashSecret(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(displayStart(key)).toBe(key.slice(0, 9));
  });
});
