import type { LimitState } from '../core/ratelimit.js';

/**
 * The RateLimit header fields of draft-ietf-httpapi-ratelimit-headers-06 (the last draft with
 * RateLimit-Limit, -Remaining and -Reset, which gateways and clients parse today): the three
 * describe the limit closest to refusing (fewest remaining, then the longest reset), and
 * RateLimit-Policy lists every limit applied as `<limit>;w=<window seconds>`. Reset is in
 * seconds from now, as the draft says, never an epoch time.
 */
export function rateLimitHeaders(limits: readonly LimitState[] | undefined): Record<string, string> {
  const list: string[] = [];
  pushRateLimitHeaders(limits, list);
  const out: Record<string, string> = {};
  for (let i = 0; i < list.length; i += 2) out[list[i] as string] = list[i + 1] as string;
  return out;
}

/** The same fields appended to a flat `[name, value, …]` list, as node's writeHead takes them (the fast path). */
export function pushRateLimitHeaders(limits: readonly LimitState[] | undefined, out: string[]): void {
  if (limits === undefined || limits.length === 0) return;
  let closest = limits[0] as LimitState;
  let policy = '';
  for (const l of limits) {
    if (l.remaining < closest.remaining || (l.remaining === closest.remaining && l.resetMs > closest.resetMs)) closest = l;
    policy += `${policy === '' ? '' : ', '}${l.limit};w=${l.windowSeconds}`;
  }
  out.push(
    'ratelimit-limit',
    String(closest.limit),
    'ratelimit-remaining',
    String(closest.remaining),
    'ratelimit-reset',
    String(Math.ceil(closest.resetMs / 1000)),
    'ratelimit-policy',
    policy,
  );
}

/** The limits a refusal carries in its details (auth/authorize-request.ts `limitDetails`). */
export function limitsOfError(details: Record<string, unknown> | undefined): LimitState[] | undefined {
  const list = details?.ratelimits;
  return Array.isArray(list) ? (list as LimitState[]) : undefined;
}
