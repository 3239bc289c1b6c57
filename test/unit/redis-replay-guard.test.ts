import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisReplayGuard } from '../../src/auth/redis-replay-guard.js';
import { MemoryReplayGuard } from '../../src/auth/replay-cache.js';
import { connectRedis, REDIS_COMMAND_TIMEOUT_MS, type SharedRedis } from '../../src/cache/redis.js';
import { REDIS_URL } from '../harness.js';
import { TcpProxy } from '../tcp-proxy.js';

async function until(ok: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  return ok();
}

describe.skipIf(!REDIS_URL)('RedisReplayGuard', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  const quiet = { warn: () => {}, info: () => {} };
  const open = async (url: string): Promise<SharedRedis> => {
    const redis = connectRedis(url, quiet);
    cleanup.push(() => redis.close());
    return redis;
  };

  it('one claim per (device, signature) across guards sharing Redis; the key expires with the window', async () => {
    const redis = await open(REDIS_URL as string);
    expect(await until(() => redis.ready)).toBe(true);
    const a = new RedisReplayGuard(redis, new MemoryReplayGuard(), quiet);
    const b = new RedisReplayGuard(redis, new MemoryReplayGuard(), quiet);
    const device = `dev_${randomBytes(6).toString('hex')}`;
    const now = Date.now();
    expect(await a.claim(device, 'ab'.repeat(32), now + 60_000, now)).toBe(true);
    expect(await b.claim(device, 'ab'.repeat(32), now + 60_000, now)).toBe(false);
    expect(await b.claim(device, 'cd'.repeat(32), now + 60_000, now)).toBe(true);
    const ttl = await redis.commands.pttl(`keyward:replay:${device}:${'ab'.repeat(32)}`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('Redis that stops answering: the claim falls back to the memory guard within the command timeout, later claims skip Redis for a while, logged once', async () => {
    const target = new URL(REDIS_URL as string);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    cleanup.push(() => proxy.close());
    const redis = await open(`redis://127.0.0.1:${proxy.port}`);
    expect(await until(() => redis.ready)).toBe(true);
    const warnings: string[] = [];
    const guard = new RedisReplayGuard(redis, new MemoryReplayGuard(), { warn: (_o, m) => warnings.push(m), info: () => {} });
    proxy.cut('blackhole');
    const now = Date.now();
    const started = Date.now();
    expect(await guard.claim('dev_1', 'ef'.repeat(32), now + 60_000, now)).toBe(true);
    expect(Date.now() - started).toBeLessThan(REDIS_COMMAND_TIMEOUT_MS + 2000);
    expect(await guard.claim('dev_1', 'ef'.repeat(32), now + 60_000, now)).toBe(false); // refused by this node's memory
    // Further claims do not each wait for the timeout again.
    const next = Date.now();
    expect(await guard.claim('dev_1', '12'.repeat(32), now + 60_000, now)).toBe(true);
    expect(Date.now() - next).toBeLessThan(REDIS_COMMAND_TIMEOUT_MS / 2);
    expect(warnings).toHaveLength(1);
  });
});
