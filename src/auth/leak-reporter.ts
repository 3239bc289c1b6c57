import { createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import type { LeakConfig } from '../config.js';
import { KeywardError } from '../core/errors.js';
import { hashSecret } from '../core/key-format.js';

/** Who sent a leak report: GitHub's secret scanning (signed), or a scanner holding an operator-issued token. */
export type LeakReporter = { kind: 'github'; keyIdentifier: string } | { kind: 'scanner' };

/**
 * The credential of POST /v1/leaks. GitHub signs the raw body with ECDSA P-256 / SHA-256
 * (`Github-Public-Key-Signature`, base64 DER) under a key named by `Github-Public-Key-Identifier`,
 * checked against the public keys the operator saved (KEYWARD_GITHUB_SECRET_SCANNING_KEYS_FILE;
 * never fetched at run time). Other scanners send `Authorization: Bearer <token>`, a token the
 * operator issued (`keyward leak-reporter-token`), known here only by its SHA-256.
 */
export function authenticateLeakReport(
  cfg: LeakConfig,
  headers: { keyIdentifier?: string | undefined; signature?: string | undefined; authorization?: string | undefined },
  rawBody: string,
): LeakReporter {
  if (headers.keyIdentifier !== undefined || headers.signature !== undefined) {
    const key = cfg.githubKeys.find((k) => k.keyIdentifier === headers.keyIdentifier);
    if (!key || !headers.signature) throw new KeywardError('INVALID_SIGNATURE', 'Unknown GitHub public key identifier, or no signature.');
    let ok = false;
    try {
      ok = verify(
        'sha256',
        Buffer.from(rawBody, 'utf8'),
        { key: createPublicKey(key.key), dsaEncoding: 'der' },
        Buffer.from(headers.signature, 'base64'),
      );
    } catch {
      ok = false;
    }
    if (!ok) throw new KeywardError('INVALID_SIGNATURE', 'The GitHub signature does not match the body.');
    return { kind: 'github', keyIdentifier: key.keyIdentifier };
  }
  const m = /^Bearer\s+(\S{16,512})$/i.exec(headers.authorization ?? '');
  if (m?.[1]) {
    const presented = Buffer.from(hashSecret(m[1]), 'hex');
    if (cfg.reporterTokenHashes.some((h) => timingSafeEqual(Buffer.from(h, 'hex'), presented))) return { kind: 'scanner' };
  }
  throw new KeywardError('UNAUTHORIZED', 'A leak report needs GitHub signature headers or a leak reporter token.');
}
