import { describe, expect, it } from 'vitest';
import { MemoryReplayGuard } from '../../src/auth/replay-cache.js';

describe('MemoryReplayGuard', () => {
  it('accepts a pair once until it expires, per device', async () => {
    const g = new MemoryReplayGuard();
    expect(await g.claim('dev1', 'sig', 1_000, 0)).toBe(true);
    expect(await g.claim('dev1', 'sig', 1_000, 500)).toBe(false);
    expect(await g.claim('dev2', 'sig', 1_000, 500)).toBe(true);
    // Refused up to its expiry instant included (the verifier still accepts that timestamp then).
    expect(await g.claim('dev1', 'sig', 1_000, 1_000)).toBe(false);
    expect(await g.claim('dev1', 'sig', 1_000, 1_001)).toBe(true);
  });

  it('stays bounded: expired entries are pruned, then the oldest dropped', async () => {
    const g = new MemoryReplayGuard(100);
    for (let i = 0; i < 1_000; i++) await g.claim('dev', `s${i}`, 10_000 + i, 0);
    expect(g.size).toBeLessThanOrEqual(100);
    expect(await g.claim('dev', 's999', 10_999, 0)).toBe(false);
    await g.claim('dev', 'late', 50_000, 30_000);
    expect(g.size).toBeLessThanOrEqual(2);
  });
});

describe('MemoryReplayGuard: time buckets', () => {
  it('refuses a pair up to and including its expiry instant, and accepts it again one millisecond later', async () => {
    const g = new MemoryReplayGuard();
    // 1_999 and 2_000 sit in different one-second buckets; 2_999 is the last instant of its bucket.
    for (const exp of [1_999, 2_000, 2_999]) {
      const sig = `s${exp}`;
      expect(await g.claim('dev', sig, exp, exp - 600)).toBe(true);
      expect(await g.claim('dev', sig, exp, exp - 1)).toBe(false);
      expect(await g.claim('dev', sig, exp, exp)).toBe(false);
      expect(await g.claim('dev', sig, exp, exp + 1)).toBe(true);
    }
  });

  it('forgets expired pairs by the second whatever order they arrived in, and keeps live ones exactly', async () => {
    const g = new MemoryReplayGuard();
    // Expiries out of arrival order (client clocks differ within the ±300 s window).
    const exps = [600_000, 5_000, 300_500, 1_000, 450_999, 2_500];
    for (const [i, exp] of exps.entries()) expect(await g.claim('dev', `s${i}`, exp, 0)).toBe(true);
    expect(g.size).toBe(6);
    await g.claim('other', 'x', 700_000, 301_000);
    // Everything that expired before 301 000 ms is gone (4 pairs); the live ones are still refused.
    expect(g.size).toBe(3);
    expect(await g.claim('dev', 's0', 600_000, 301_000)).toBe(false);
    expect(await g.claim('dev', 's4', 450_999, 450_999)).toBe(false);
    expect(await g.claim('dev', 's1', 5_000, 301_000)).toBe(true);
  });

  it('a pair is looked up under its own expiry: the same signature for two devices are two pairs', async () => {
    const g = new MemoryReplayGuard();
    expect(await g.claim('dev1', 'sig', 1_500, 0)).toBe(true);
    expect(await g.claim('dev2', 'sig', 1_500, 0)).toBe(true);
    expect(await g.claim('dev1', 'sig', 1_500, 1_500)).toBe(false);
    expect(await g.claim('dev2', 'sig', 1_500, 1_000)).toBe(false);
    expect(g.size).toBe(2);
    await g.claim('dev', 'other', 9_000, 2_000); // drops the second of 1 500
    expect(g.size).toBe(1);
  });

  it('a pair already expired on arrival is still refused at that instant and forgotten later', async () => {
    const g = new MemoryReplayGuard();
    await g.claim('dev', 'a', 10_000, 10_000);
    expect(await g.claim('dev', 'late', 9_000, 10_000)).toBe(true);
    expect(await g.claim('dev', 'late', 9_000, 10_000)).toBe(true); // expired: never refused
    await g.claim('dev', 'b', 20_000, 12_000);
    expect(g.size).toBe(1);
  });

  it('after a long pause every old bucket is swept at once', async () => {
    const g = new MemoryReplayGuard();
    for (let i = 0; i < 500; i++) await g.claim('dev', `s${i}`, 300_000 + i * 997, 0);
    expect(g.size).toBe(500);
    await g.claim('dev', 'now', 86_400_000 + 300_000, 86_400_000);
    expect(g.size).toBe(1);
  });

  it('at the bound the oldest second goes first, the newer pairs stay refused', async () => {
    const g = new MemoryReplayGuard(10);
    for (let i = 0; i < 10; i++) await g.claim('dev', `s${i}`, 10_000 + i * 1000, 0);
    expect(await g.claim('dev', 'new', 50_000, 0)).toBe(true);
    expect(g.size).toBe(10);
    expect(await g.claim('dev', 's1', 11_000, 0)).toBe(false);
    expect(await g.claim('dev', 'new', 50_000, 0)).toBe(false);
    // s0 (the oldest) was dropped at the bound: not held any more, yet still refused (exact).
    expect(await g.claim('dev', 's0', 10_000, 0)).toBe(false);
    // So is any unseen pair expiring in or before the dropped second; later ones are not.
    expect(await g.claim('dev', 'older-unseen', 10_500, 0)).toBe(false);
    expect(await g.claim('dev', 'later-unseen', 11_000, 0)).toBe(true);
  });

  it('never accepts a replay at the bound, whatever order pairs arrive in', async () => {
    const g = new MemoryReplayGuard(50);
    const accepted = new Set<string>();
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2000; i++) {
      const sig = `s${Math.floor(rnd() * 300)}`;
      const expiry = 100_000 + Number(sig.slice(1)) * 97;
      const ok = await g.claim('dev', sig, expiry, 0);
      if (ok) {
        expect(accepted.has(sig), `${sig} accepted twice`).toBe(false);
        accepted.add(sig);
      }
    }
    expect(g.size).toBeLessThanOrEqual(50);
    expect(accepted.size).toBeGreaterThan(50);
  });
});
