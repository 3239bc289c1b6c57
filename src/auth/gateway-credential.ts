import { type ErrorCode, KeywardError } from '../core/errors.js';
import type { KeyVerificationRecord } from '../store/repos/keys.js';
import { type VerifyCode, type VerifyResult, verifyKeyWithRecord } from './access-key.js';
import type { AuthCtx } from './context.js';
import { type SignatureCode, verifySignedRequest } from './device-signature.js';

/** The caller's request as the gateway saw it (nginx auth_request, Envoy ext_authz, or the built-in proxy). */
export interface GatewayRequest {
  /** The caller's Authorization header, verbatim. */
  authorization: string | undefined;
  method: string;
  /** Path and query, as sent by the caller. */
  uri: string;
  host: string | undefined;
  /** Hex SHA-256 of the caller's body (`X-Content-SHA256`), for signed requests: auth_request forwards no body. */
  contentSha256: string | undefined;
  /** Further headers a signature scheme may cover (e.g. its timestamp header), lower-case names. */
  headers: Record<string, string | string[] | undefined>;
}

/** Who the credential belongs to; `device` is reserved for CTN1 signed requests. */
export interface GatewayIdentity {
  kind: 'application' | 'customer' | 'device';
  accountId: string;
  applicationId: string | null;
  keyId: string | null;
  deviceId: string | null;
  /** API scopes the credential holds, matched against the catalogue's grants. */
  scopes: string[];
  /** For a key: what its limits are applied to, once the catalogue has let the request through. */
  verified?: { result: VerifyResult; record: KeyVerificationRecord } | undefined;
}

export type GatewayCredential =
  | { scheme: 'none' }
  | { scheme: 'key'; key: string }
  | { scheme: 'ctn1'; header: string }
  | { scheme: 'unsupported'; name: string };

export const CTN1_SCHEME = 'CTN1-HMAC-SHA256';

/**
 * `Bearer <key>`, a raw `<key>` (Senet sends the key as the whole header), or a CTN1
 * device signature. Any other `Scheme value` is refused rather than guessed at.
 */
export function parseGatewayCredential(header: string | undefined): GatewayCredential {
  const value = header?.trim() ?? '';
  if (value === '') return { scheme: 'none' };
  const [first = '', ...rest] = value.split(/\s+/);
  if (rest.length === 0) return { scheme: 'key', key: first };
  if (first.toLowerCase() === 'bearer' && rest.length === 1) return { scheme: 'key', key: rest[0] as string };
  if (first === CTN1_SCHEME) return { scheme: 'ctn1', header: value };
  return { scheme: 'unsupported', name: first };
}

/**
 * The 401 error code for each refused key: the verify code of the same name. Verify codes are
 * answers of the verification endpoint, error codes answers of every other operation; this
 * table is where one becomes the other. No scope is required here, so INSUFFICIENT_SCOPE
 * cannot occur; were it to, it is no credential.
 */
const KEY_REFUSALS: Record<Exclude<VerifyCode, 'VALID'>, ErrorCode> = {
  MALFORMED: 'MALFORMED',
  NOT_FOUND: 'NOT_FOUND',
  REVOKED: 'REVOKED',
  EXPIRED: 'EXPIRED',
  DISABLED: 'DISABLED',
  INSUFFICIENT_SCOPE: 'UNAUTHORIZED',
  // Answered after the catalogue (authorize-request.ts), with 429, never as a refused credential.
  RATE_LIMITED: 'RATE_LIMITED',
  USAGE_EXCEEDED: 'USAGE_EXCEEDED',
};

/** The 401 error code for each refused signature: the signature code of the same name. */
const SIGNATURE_REFUSALS: Record<Exclude<SignatureCode, 'VALID'>, ErrorCode> = {
  MISSING_HEADERS: 'MISSING_HEADERS',
  BAD_TIMESTAMP: 'BAD_TIMESTAMP',
  TIMESTAMP_OUT_OF_WINDOW: 'TIMESTAMP_OUT_OF_WINDOW',
  MALFORMED_AUTHORIZATION: 'MALFORMED_AUTHORIZATION',
  SIGN_DATE_OUT_OF_RANGE: 'SIGN_DATE_OUT_OF_RANGE',
  INVALID_SIGNATURE: 'INVALID_SIGNATURE',
  DEVICE_DISABLED: 'DEVICE_DISABLED',
  REPLAYED: 'REPLAYED',
  SECRET_UNAVAILABLE: 'SECRET_UNAVAILABLE',
};

/** Resolves the caller's credential to an identity, or throws the 401 to answer. */
export async function resolveGatewayCredential(ctx: AuthCtx, req: GatewayRequest): Promise<GatewayIdentity> {
  const credential = parseGatewayCredential(req.authorization);
  switch (credential.scheme) {
    case 'none':
      throw new KeywardError('UNAUTHORIZED', 'Send Authorization: Bearer <key>, Authorization: <key>, or a CTN1 signature.');
    case 'key': {
      const { result, record } = await verifyKeyWithRecord(ctx, credential.key);
      if (!result.valid) throw new KeywardError(KEY_REFUSALS[result.code]);
      if (record === undefined) throw new KeywardError('NOT_FOUND'); // a valid answer always has its record
      return {
        kind: result.kind,
        accountId: result.accountId,
        applicationId: result.applicationId,
        keyId: result.keyId,
        deviceId: null,
        scopes: result.scopes,
        verified: { result, record },
      };
    }
    case 'ctn1': {
      const timestamp = req.headers['x-bcot-timestamp'];
      const result = await verifySignedRequest(ctx, {
        method: req.method,
        path: req.uri,
        host: req.host ?? '',
        timestamp: typeof timestamp === 'string' ? timestamp : undefined,
        authorization: credential.header,
        bodyHash: req.contentSha256,
      });
      if (!result.valid) throw new KeywardError(SIGNATURE_REFUSALS[result.code]);
      return {
        kind: 'device',
        accountId: result.accountId,
        applicationId: null,
        keyId: null,
        deviceId: result.deviceId,
        scopes: ctx.catalogue.deviceScopes(),
      };
    }
    case 'unsupported':
      throw new KeywardError('UNSUPPORTED_CREDENTIAL', `Unsupported Authorization scheme "${credential.name}".`);
  }
}
