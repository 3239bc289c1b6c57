import { createHash, timingSafeEqual } from 'node:crypto';
import { bearerToken } from '../auth/bearer.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Who may read /metrics: anyone without KEYWARD_METRICS_TOKEN, else exactly `Authorization:
 * Bearer <token>`. The two SHA-256 digests are compared in constant time, so neither the
 * token's length nor its prefix shows in the answer's timing.
 */
export function metricsAccess(token: string | undefined): (authorization: string | undefined) => boolean {
  if (token === undefined) return () => true;
  const expected = digest(token);
  return (authorization) => {
    const presented = bearerToken(authorization);
    return presented !== undefined && timingSafeEqual(digest(presented), expected);
  };
}

export const METRICS_TOKEN_MESSAGE = 'GET /metrics needs Authorization: Bearer <KEYWARD_METRICS_TOKEN>.';
