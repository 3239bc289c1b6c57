import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const MASTER_KEY_BYTES = 32;

/**
 * AES-256-GCM envelope for secrets that must stay recoverable (HMAC device secrets).
 * Stored form: `v1.<key fingerprint>.<iv>.<tag>.<ciphertext>` (base64url). The fingerprint
 * names the master key that sealed it, so a wrong key fails loudly instead of as a bad tag.
 * The associated data binds a ciphertext to its row, so secrets cannot be swapped between rows.
 */
export class SecretBox {
  readonly fingerprint: string;
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== MASTER_KEY_BYTES) throw new Error(`The master key must be ${MASTER_KEY_BYTES} bytes, got ${key.length}.`);
    this.key = Buffer.from(key);
    this.fingerprint = keyFingerprint(key);
  }

  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.fingerprint, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join(
      '.',
    );
  }

  /** Throws when the envelope was sealed under another key, for another row, or was altered. */
  open(envelope: string, aad: string): string {
    const parts = envelope.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new Error('Not a sealed secret.');
    const [, fingerprint, iv, tag, ct] = parts as [string, string, string, string, string];
    if (fingerprint !== this.fingerprint) {
      throw new Error(`Secret sealed under master key ${fingerprint}, but the loaded master key is ${this.fingerprint}.`);
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** What sealing and opening needs of a SecretBox: the composition root may load its key on first use. */
export type Secrets = Pick<SecretBox, 'fingerprint' | 'seal' | 'open'>;

/** The fingerprint of the key an envelope was sealed under, or null when it is not an envelope. */
export function sealedWith(envelope: string): string | null {
  const parts = envelope.split('.');
  return parts.length === 5 && parts[0] === VERSION ? (parts[1] as string) : null;
}

/** A short public name for a key (never enough to recover it): first 8 hex of a domain-separated hash. */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update('keyward-master-key:').update(key).digest('hex').slice(0, 8);
}

/** The associated data for each kind of sealed secret. */
export const secretAad = {
  device: (deviceId: string) => `device:${deviceId}`,
  sharedSecret: (accountId: string) => `account:${accountId}`,
  webhook: (endpointId: string) => `webhook:${endpointId}`,
};
