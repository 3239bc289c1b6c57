import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const POOL = Buffer.alloc(4096);
let at = POOL.length;

/**
 * `req_` + 16 base62 characters, like ids.ts but drawing from a pooled CSPRNG buffer: one
 * crypto call per ~200 requests instead of one per request (it showed in the hot path's profile).
 */
export function newRequestId(): string {
  let out = 'req_';
  while (out.length < 20) {
    if (at === POOL.length) {
      randomFillSync(POOL);
      at = 0;
    }
    const byte = POOL[at++] as number;
    if (byte < 248) out += ALPHABET[byte % 62];
  }
  return out;
}
