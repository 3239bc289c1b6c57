import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform base62 string from a CSPRNG (rejection sampling keeps it unbiased). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export const ID_PREFIXES = {
  account: 'acc',
  user: 'usr',
  application: 'app',
  key: 'key',
  session: 'ses',
  audit: 'evt',
  device: 'dev',
  webhook: 'whk',
  /** A webhook event: its id is the `webhook-id` of every delivery of it (Standard Webhooks' `msg_`). */
  event: 'msg',
  delivery: 'dlv',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

/** Type-prefixed ids (`app_…`) make a pasted id self-describing in logs and support tickets. */
export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${randomBase62(16)}`;
}

/** A public customer ID: 10 digits, easy to read out and type back (Senet's delete dialog). */
export function newCustomerId(): string {
  const n = randomBytes(5).readUIntBE(0, 5) % 10_000_000_000;
  return n.toString().padStart(10, '0');
}
