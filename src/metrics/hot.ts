import { FAST_SECONDS, FixedHistogram } from '../core/histogram.js';

/** What POST /v1/keys/verify (`key`) and POST /v1/signatures/verify (`signature`) answer. */
export type VerifyKind = 'key' | 'signature';
/** GET /v1/authorize (and its path-appended form), or the built-in reverse proxy. */
export type AuthorizeRoute = 'authorize' | 'proxy';

/**
 * The counters the request paths move: plain numbers in Maps keyed by codes from closed tables
 * (result codes, error codes), and hand-filled histograms. Nothing here allocates per request
 * or knows about Prometheus; src/metrics/registry.ts turns it into metrics when scraped.
 * Labels are codes, kinds and routes only: never an account, key, device or user id.
 */
export class HotMetrics {
  readonly verifications: Record<VerifyKind, Map<string, number>> = { key: new Map(), signature: new Map() };
  /** Seconds from a whole verification request read to its 200 answer written. */
  readonly verifyDuration: Record<VerifyKind, FixedHistogram> = {
    key: new FixedHistogram(FAST_SECONDS),
    signature: new FixedHistogram(FAST_SECONDS),
  };
  readonly authorize: Record<AuthorizeRoute, Map<string, number>> = { authorize: new Map(), proxy: new Map() };
  /**
   * Rate limit and quota decisions of limited keys and of signed devices of limited accounts
   * (requests without any limit decide nothing and are not counted), by outcome.
   */
  readonly limitDecisions = { allowed: 0, limited: 0, usage_exceeded: 0 };
  /** Responses by status class: index 1 is 1xx … index 5 is 5xx. */
  readonly httpResponses = new Float64Array(6);

  /** Codes listed here are reported from 0 on, so a rate over them exists before the first one. */
  constructor(known: { keyCodes: readonly string[]; signatureCodes: readonly string[]; proxy: boolean }) {
    for (const code of known.keyCodes) this.verifications.key.set(code, 0);
    for (const code of known.signatureCodes) this.verifications.signature.set(code, 0);
    this.authorize.authorize.set('allowed', 0);
    if (known.proxy) this.authorize.proxy.set('allowed', 0);
  }

  /** One verification answer: its result code (200) or error code (4xx, 5xx). */
  verified(kind: VerifyKind, code: string): void {
    const counts = this.verifications[kind];
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }

  /** One 200 verification answer, timed from `startedMs` (performance.now()). */
  verifiedIn(kind: VerifyKind, code: string, startedMs: number): void {
    this.verified(kind, code);
    this.verifyDuration[kind].observe((performance.now() - startedMs) / 1000);
  }

  /** One gateway decision: `allowed`, or the error code of the refusal. */
  authorized(route: AuthorizeRoute, outcome: string): void {
    const counts = this.authorize[route];
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  }

  /** One limit decision: allowed, or the refusal's code. */
  limitDecided(allowed: boolean, code?: 'RATE_LIMITED' | 'USAGE_EXCEEDED'): void {
    if (allowed) this.limitDecisions.allowed++;
    else if (code === 'USAGE_EXCEEDED') this.limitDecisions.usage_exceeded++;
    else this.limitDecisions.limited++;
  }

  /** A node:http 'finish' listener (shared, no closure): counts the response's status class. */
  readonly countResponse = (() => {
    const responses = this.httpResponses;
    return function countResponse(this: { statusCode: number }) {
      const cls = (this.statusCode / 100) | 0;
      if (cls >= 1 && cls <= 5) responses[cls] = (responses[cls] as number) + 1;
    };
  })();
}
