import { describe, expect, it } from 'vitest';
import { MemoryReplayGuard } from '../../src/auth/replay-cache.js';

describe('MemoryReplayGuard', () => {
  it('accepts a pair once until it expires, per device', async () => {
    const g = new MemoryReplayGuard();
    expect(await g.claim('dev1', 'sig', 1_000, 0)).toBe(true);
    expect(await g.claim('dev1', 'sig', 1_000, 500)).toBe(false);
    expect(await g.claim('dev2', 'sig', 1_000, 500)).toBe(true);
    expect(await g.claim('dev1', 'sig', 2_000, 1_000)).toBe(true);
  });

  it('stays bounded: expired entries are pruned, then the oldest dropped', async () => {
    const g = new MemoryReplayGuard(100);
    for (let i = 0; i < 1_000; i++) await g.claim('dev', `s${i}`, 10_000 + i, 0);
    expect(g.size).toBeLessThanOrEqual(100);
    expect(await g.claim('dev', 's999', 20_000, 0)).toBe(false);
    await g.claim('dev', 'late', 50_000, 30_000);
    expect(g.size).toBeLessThanOrEqual(2);
  });
});
