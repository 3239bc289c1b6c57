import { describe, expect, it } from 'vitest';
import { secondChanceVictim } from '../../src/cache/second-chance.js';
import { VerificationCache } from '../../src/cache/verification-cache.js';

const entries = (...spec: [string, boolean][]) => new Map(spec.map(([k, used]) => [k, { used }]));

describe('secondChanceVictim', () => {
  it('picks the oldest entry not used since it was last passed over', () => {
    const m = entries(['a', false], ['b', false]);
    expect(secondChanceVictim(m)).toBe('a');
    expect([...m.keys()]).toEqual(['a', 'b']);
  });

  it('gives used entries a second chance: clears their mark and moves them to the back', () => {
    const m = entries(['a', true], ['b', true], ['c', false], ['d', true]);
    expect(secondChanceVictim(m)).toBe('c');
    expect([...m.keys()]).toEqual(['c', 'd', 'a', 'b']);
    expect(m.get('a')?.used).toBe(false);
    expect(m.get('b')?.used).toBe(false);
    expect(m.get('d')?.used).toBe(true);
  });

  it('ends after one pass when every entry was used, choosing the first one passed over', () => {
    const m = entries(['a', true], ['b', true], ['c', true]);
    expect(secondChanceVictim(m)).toBe('a');
    expect([...m.values()].every((e) => !e.used)).toBe(true);
  });

  it('answers undefined for an empty map', () => {
    expect(secondChanceVictim(new Map<string, { used: boolean }>())).toBeUndefined();
  });
});

describe('VerificationCache hits', () => {
  it('do not reorder or grow the table: a hot key stays put while other keys come and go', async () => {
    const rows = new Map<string, object>();
    const record = (i: number) => ({
      key: { id: `key_${i}`, accountId: 'acc', applicationId: 'app', createdBy: 'usr', scopes: [], roles: [] },
    });
    const cache = new VerificationCache({
      load: async (h) => rows.get(h) as never,
      now: () => 0,
      maxEntries: 3,
      ttlMs: 60_000,
      maxNegative: 0,
      negativeTtlMs: 0,
    });
    for (let i = 0; i < 3; i++) {
      rows.set(`h${i}`, record(i));
      await cache.lookup(`h${i}`);
    }
    // h0 is hot: read many times, then new keys arrive; it must survive every eviction.
    for (let round = 3; round < 10; round++) {
      for (let j = 0; j < 5; j++) expect(cache.peek('h0')).toBeTruthy();
      rows.set(`h${round}`, record(round));
      await cache.lookup(`h${round}`);
      expect(cache.peek('h0')).toBeTruthy();
    }
    expect(cache.stats()).toMatchObject({ size: 3, evictions: 7, loads: 10 });
  });
});
