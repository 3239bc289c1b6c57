import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox, sealedWith } from '../../src/crypto/secret-box.js';

describe('SecretBox (AES-256-GCM)', () => {
  const box = new SecretBox(randomBytes(32));
  const secret = 'ab'.repeat(64);

  it('round-trips, with a fresh IV each time and no plaintext in the envelope', () => {
    const a = box.seal(secret, 'device:one');
    const b = box.seal(secret, 'device:one');
    expect(a).not.toBe(b);
    expect(a).not.toContain(secret);
    expect(sealedWith(a)).toBe(box.fingerprint);
    expect(box.open(a, 'device:one')).toBe(secret);
  });

  it('refuses another row’s associated data, a tampered ciphertext and another key', () => {
    const sealed = box.seal(secret, 'device:one');
    expect(() => box.open(sealed, 'device:two')).toThrow();
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[4] as string, 'base64url');
    ct[0] = (ct[0] as number) ^ 1;
    parts[4] = ct.toString('base64url');
    expect(() => box.open(parts.join('.'), 'device:one')).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'device:one')).toThrow(/master key/);
    expect(() => box.open('plaintext', 'device:one')).toThrow();
  });

  it('accepts only 256-bit keys', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow();
  });
});
