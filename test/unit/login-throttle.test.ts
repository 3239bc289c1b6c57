import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle, type LoginThrottlePolicy } from '../../src/auth/login-throttle.js';
import { RedisThrottleStore, sharedLoginThrottle } from '../../src/auth/throttle-redis.js';
import { backoffMs, MemoryThrottleStore, type ThrottleStore } from '../../src/auth/throttle-store.js';
import { connectRedis } from '../../src/cache/redis.js';
import { trustProxyFrom } from '../../src/config.js';
import { REDIS_URL } from '../harness.js';

const S = 1000;
const MIN = 60 * S;
let seq = 0;
/** A fresh email per test: the Redis store outlives a test run. */
const email = () => `victim-${Date.now().toString(36)}-${seq++}@x.test`;

describe('backoffMs', () => {
  it('is free for the first attempts, then doubles from 1 s up to the 15 minute cap', () => {
    const p = DEFAULT_LOGIN_THROTTLE;
    expect([1, 2, 3, 4].map((n) => backoffMs(n, p))).toEqual([0, 0, 0, 0]);
    expect([5, 6, 7, 8].map((n) => backoffMs(n, p))).toEqual([1 * S, 2 * S, 4 * S, 8 * S]);
    expect(backoffMs(15, p)).toBe(15 * MIN);
    expect(backoffMs(10_000, p)).toBe(15 * MIN);
  });
});

const redis = REDIS_URL ? new Redis(REDIS_URL) : undefined;
afterAll(() => redis?.disconnect());

const STORES: { name: string; enabled: boolean; make(): ThrottleStore }[] = [
  { name: 'memory', enabled: true, make: () => new MemoryThrottleStore() },
  { name: 'redis', enabled: redis !== undefined, make: () => new RedisThrottleStore(redis as Redis) },
];

for (const s of STORES) {
  describe.skipIf(!s.enabled)(`LoginThrottle [${s.name} store]`, () => {
    const T0 = 1_800_000_000_000;

    it("slows the guesser's address with a growing wait while the owner's address signs in", async () => {
      const t = new LoginThrottle(s.make());
      const e = email();
      for (let i = 0; i < 5; i++) {
        expect(await t.admit(e, '203.0.113.9', T0)).toBe(0);
        await t.failed(e, '203.0.113.9', T0);
      }
      // Regression (issue 10, item 7): five wrong passwords used to lock the right one out for everyone.
      expect(await t.admit(e, '203.0.113.9', T0)).toBe(1 * S);
      expect(await t.admit(e, '198.51.100.7', T0)).toBe(0);
      await t.succeeded(e, '198.51.100.7', T0);
      // The wait doubles with every further attempt from the guesser's address.
      const waits: number[] = [];
      let now = T0;
      for (let i = 0; i < 4; i++) {
        now += await t.admit(e, '203.0.113.9', now);
        expect(await t.admit(e, '203.0.113.9', now)).toBe(0);
        await t.failed(e, '203.0.113.9', now);
        waits.push(await t.admit(e, '203.0.113.9', now));
      }
      expect(waits).toEqual([2 * S, 4 * S, 8 * S, 16 * S]);
      await expect(t.enter(e, '203.0.113.9', now + 1)).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: 16 } });
    });

    it('a success resets the pair; another email from the same address is unaffected', async () => {
      const t = new LoginThrottle(s.make());
      const e = email();
      for (let i = 0; i < 5; i++) await t.admit(e, '192.0.2.1', T0);
      expect(await t.admit(e, '192.0.2.1', T0)).toBe(1 * S);
      expect(await t.admit(email(), '192.0.2.1', T0)).toBe(0);
      expect(await t.admit(e, '192.0.2.1', T0 + S)).toBe(0);
      await t.succeeded(e, '192.0.2.1', T0 + S);
      for (let i = 0; i < 5; i++) expect(await t.admit(e, '192.0.2.1', T0 + S)).toBe(0);
    });

    it('a burst of parallel attempts is counted before any password is checked', async () => {
      const t = new LoginThrottle(s.make());
      const e = email();
      const waits = await Promise.all(Array.from({ length: 20 }, () => t.admit(e, '192.0.2.2', T0)));
      expect(waits.filter((w) => w === 0)).toHaveLength(5);
    });

    it('many addresses failing on one email: strangers wait for the window, known addresses do not', async () => {
      const policy: LoginThrottlePolicy = { ...DEFAULT_LOGIN_THROTTLE, emailCeiling: 3, emailWindowMs: 10 * S };
      const t = new LoginThrottle(s.make(), policy);
      const e = email();
      await t.succeeded(e, '10.0.0.1', T0); // the owner's usual address
      for (const a of ['10.9.0.1', '10.9.0.2', '10.9.0.3']) {
        expect(await t.admit(e, a, T0)).toBe(0);
        await t.failed(e, a, T0);
      }
      const stranger = await t.admit(e, '10.9.0.4', T0);
      expect(stranger).toBeGreaterThan(0);
      expect(stranger).toBeLessThanOrEqual(10 * S);
      expect(await t.admit(e, '10.0.0.1', T0)).toBe(0);
    });
  });
}

describe('MemoryThrottleStore', () => {
  it('keeps memory bounded under a spray of distinct keys and forgets idle pairs', async () => {
    const store = new MemoryThrottleStore(10);
    const t = new LoginThrottle(store);
    for (let i = 0; i < 100; i++) await t.admit(`u${i}@x`, '192.0.2.3', 0);
    expect(store.size).toBeLessThanOrEqual(10);
    for (let i = 0; i < 5; i++) await t.admit('kept@x', '192.0.2.3', 0);
    expect(await t.admit('kept@x', '192.0.2.3', 0)).toBe(1 * S);
    expect(await t.admit('kept@x', '192.0.2.3', DEFAULT_LOGIN_THROTTLE.forgetAfterMs + 1)).toBe(0);
  });
});

describe('shared throttle with Redis down', () => {
  it('falls back to counting on this node, warns, and never fails a sign-in', async () => {
    const warnings: unknown[] = [];
    // Nothing listens on port 1: every command fails after one reconnect attempt.
    const redis = connectRedis('redis://127.0.0.1:1', { warn: () => {}, info: () => {} });
    const shared = { throttle: sharedLoginThrottle(redis, (err) => warnings.push(err)) };
    try {
      const e = email();
      for (let i = 0; i < 5; i++) expect(await shared.throttle.admit(e, '192.0.2.4', 0)).toBe(0);
      expect(await shared.throttle.admit(e, '192.0.2.4', 0)).toBe(1 * S);
      await shared.throttle.succeeded(e, '192.0.2.4', 0);
      expect(await shared.throttle.admit(e, '192.0.2.4', 0)).toBe(0);
      expect(warnings).toHaveLength(1);
      expect(String(warnings[0])).toContain('Redis unavailable');
    } finally {
      redis.close();
    }
  });
});

describe('KEYWARD_TRUST_PROXY', () => {
  it('is off by default and takes proxy addresses and CIDR ranges, never "trust everyone"', () => {
    expect(trustProxyFrom(undefined)).toBe(false);
    expect(trustProxyFrom('')).toBe(false);
    expect(trustProxyFrom('127.0.0.1, 10.0.0.0/8,::1')).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    expect(() => trustProxyFrom('true')).toThrow(/KEYWARD_TRUST_PROXY/);
    for (const bad of ['2', '10.0.0.0/33', 'proxy.local', '1.2.3.4/8/1']) expect(() => trustProxyFrom(bad)).toThrow(/KEYWARD_TRUST_PROXY/);
  });
});
