import type { Redis } from 'ioredis';
import type { SharedRedis } from '../cache/redis.js';
import { LoginThrottle } from './login-throttle.js';
import { type BackoffPolicy, MemoryThrottleStore, type ThrottleStore } from './throttle-store.js';

export const THROTTLE_KEY_PREFIX = 'keyward:throttle:';

/** `attempt` in one round trip, so two nodes racing on one pair count both attempts (see ThrottleStore). */
const ATTEMPT = `
local now = tonumber(ARGV[1])
local waitUntil = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if waitUntil > now then return waitUntil - now end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local free, base, cap = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local wait = 0
if n >= free then wait = math.min(cap, base * 2 ^ (n - free)) end
redis.call('HSET', KEYS[1], 'until', now + wait)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 0
`;

/** Counts shared by every node through Redis. Times come from the caller's clock; expiry from Redis's. */
export class RedisThrottleStore implements ThrottleStore {
  constructor(private readonly redis: Redis) {}

  async attempt(key: string, now: number, p: BackoffPolicy): Promise<number> {
    const wait = await this.redis.eval(
      ATTEMPT,
      1,
      THROTTLE_KEY_PREFIX + key,
      now,
      p.freeAttempts,
      p.baseDelayMs,
      p.maxDelayMs,
      p.forgetAfterMs,
    );
    return Number(wait);
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(THROTTLE_KEY_PREFIX + key);
  }

  async hit(key: string, _now: number, windowMs: number): Promise<void> {
    const k = THROTTLE_KEY_PREFIX + key;
    await this.redis.multi().set(k, 0, 'PX', windowMs, 'NX').incr(k).exec();
  }

  async count(key: string): Promise<{ count: number; resetInMs: number }> {
    const k = THROTTLE_KEY_PREFIX + key;
    const res = await this.redis.multi().get(k).pttl(k).exec();
    const value = Number(res?.[0]?.[1] ?? 0);
    const ttl = Number(res?.[1]?.[1] ?? 0);
    return value > 0 && ttl > 0 ? { count: value, resetInMs: ttl } : { count: 0, resetInMs: 0 };
  }

  async mark(key: string, _now: number, ttlMs: number): Promise<void> {
    await this.redis.set(THROTTLE_KEY_PREFIX + key, 1, 'PX', ttlMs);
  }

  async marked(key: string): Promise<boolean> {
    return (await this.redis.exists(THROTTLE_KEY_PREFIX + key)) === 1;
  }
}

/**
 * Uses `primary` (Redis) and, whenever it fails, `fallback` (this node's memory) for that call,
 * so a Redis outage weakens the throttle to per-node counts but never fails a sign-in.
 */
export class FallbackThrottleStore implements ThrottleStore {
  private lastWarning = 0;

  constructor(
    private readonly primary: ThrottleStore,
    private readonly fallback: ThrottleStore,
    private readonly warn: (err: unknown) => void,
    private readonly warnEveryMs = 60_000,
    /** Whether to try the primary at all: a disconnected Redis is skipped without waiting for a timeout. */
    private readonly available: () => boolean = () => true,
  ) {}

  attempt(key: string, now: number, policy: BackoffPolicy) {
    return this.either((s) => s.attempt(key, now, policy));
  }
  reset(key: string) {
    return this.either((s) => s.reset(key));
  }
  hit(key: string, now: number, windowMs: number) {
    return this.either((s) => s.hit(key, now, windowMs));
  }
  count(key: string, now: number) {
    return this.either((s) => s.count(key, now));
  }
  mark(key: string, now: number, ttlMs: number) {
    return this.either((s) => s.mark(key, now, ttlMs));
  }
  marked(key: string, now: number) {
    return this.either((s) => s.marked(key, now));
  }

  private async either<T>(op: (s: ThrottleStore) => Promise<T>): Promise<T> {
    try {
      if (!this.available()) throw new Error('Redis is not connected');
      return await op(this.primary);
    } catch (err) {
      // One line per outage minute, not one per sign-in.
      if (Date.now() - this.lastWarning >= this.warnEveryMs) {
        this.lastWarning = Date.now();
        this.warn(err);
      }
      return op(this.fallback);
    }
  }
}

/**
 * A sign-in throttle whose counts every node shares through Redis, on Keyward's shared command
 * connection (src/cache/redis.ts). Works while Redis is down: commands fail within the
 * connection's command timeout and fall back to this node's memory until it is back.
 */
export function sharedLoginThrottle(redis: Pick<SharedRedis, 'commands' | 'ready'>, warn: (err: unknown) => void): LoginThrottle {
  const store = new FallbackThrottleStore(
    new RedisThrottleStore(redis.commands),
    new MemoryThrottleStore(),
    (err) =>
      warn(
        new Error(`sign-in throttle: Redis unavailable, counting on this node only (${err instanceof Error ? err.message : String(err)})`),
      ),
    60_000,
    () => redis.ready,
  );
  return new LoginThrottle(store);
}
