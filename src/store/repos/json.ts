import type { QuotaSpec, RateLimitSpec } from '../../core/ratelimit.js';

/** Arrays are stored as JSON text so both dialects share one column type. */
export function parseList(text: string): string[] {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.map(String) : [];
}

/** Rate limits and quotas as stored: written only from validated input, read back as is. */
export function parseRateLimits(text: string): RateLimitSpec[] {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? (value as RateLimitSpec[]) : [];
}

export function parseQuota(text: string | null): QuotaSpec | null {
  return text === null ? null : (JSON.parse(text) as QuotaSpec);
}

export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

export function toList(values: readonly string[]): string {
  return JSON.stringify([...values]);
}
