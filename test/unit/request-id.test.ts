import { describe, expect, it } from 'vitest';
import { newRequestId } from '../../src/http/request-id.js';

describe('newRequestId', () => {
  it('req_ and 16 base62 characters, distinct across many batches of 256', () => {
    const ids = Array.from({ length: 5000 }, newRequestId);
    for (const id of ids) expect(id).toMatch(/^req_[0-9A-Za-z]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('draws every base62 character about equally (no modulo bias: bytes from 248 up are dropped)', () => {
    const counts = new Map<string, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) for (const c of newRequestId().slice(4)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    const expected = (n * 16) / 62;
    // 320,000 draws: each count is within 10 % of its expectation far beyond any chance of failing.
    for (const count of counts.values()) expect(Math.abs(count - expected) / expected).toBeLessThan(0.1);
  });
});
