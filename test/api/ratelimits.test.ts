import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CATALOGUE } from '../../src/core/catalogue.js';
import type { RedisEngine } from '../../src/ratelimit/redis-engine.js';
import { createKeyward, type Keyward } from '../../src/server.js';
import { appWithKey, createHarness, DIALECTS, type Harness, REDIS_URL, type Tenant } from '../harness.js';
import { createDevice, signedCheck } from '../signing.js';
import { TcpProxy } from '../tcp-proxy.js';

/**
 * Issue #12: rate limits and quotas per key and per account, applied by POST /v1/keys/verify
 * (both the Fastify route and the fast path), GET /v1/authorize; exact in one process and, over
 * Redis, across nodes; durable quota spends; Redis cut mid-test (fail-open and fail-closed).
 */

/** The start of the current hour: near the real clock, so sessions made in real time stay valid. */
const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000;
const DAY = 86_400_000;
const NEXT_DAY = Math.floor(T0 / DAY) * DAY + DAY;

const verifyOn = async (kw: Keyward, body: Record<string, unknown>): Promise<Record<string, any>> => {
  const res = await kw.app.inject({ method: 'POST', url: '/v1/keys/verify', payload: body });
  return { status: res.statusCode, ...(res.json() as Record<string, any>) };
};

const signedOn = async (kw: Keyward, body: Record<string, unknown>): Promise<Record<string, any>> => {
  const res = await kw.app.inject({ method: 'POST', url: '/v1/signatures/verify', payload: body });
  return { status: res.statusCode, ...(res.json() as Record<string, any>) };
};

/** The sample lines of GET /metrics: `name{labels}` → value. */
async function scrape(kw: Keyward): Promise<Map<string, number>> {
  const res = await kw.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  const out = new Map<string, number>();
  for (const line of res.body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function clockOf(kws: Keyward[], start = T0) {
  let t = start;
  for (const kw of kws) kw.ctx.now = () => t;
  return {
    set: (ms: number) => {
      t = ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
    get now() {
      return t;
    },
  };
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`rate limits and quotas, one node [${dialect.name}]`, () => {
    let h: Harness;
    let t: Tenant;
    let clock: ReturnType<typeof clockOf>;
    beforeAll(async () => {
      h = await createHarness(dialect);
      t = await h.tenant();
      clock = clockOf([h.kw]);
    });
    afterAll(async () => h?.close());

    const limitedKey = (extra: Record<string, unknown>) => appWithKey(h, t, t.adminToken, [], extra);

    it('a key without limits answers as before: no limit fields', async () => {
      const { key } = await limitedKey({});
      const res = await h.call('POST', '/v1/keys/verify', { body: { key } });
      expect(res.body.code).toBe('VALID');
      expect(res.body.ratelimits).toBeUndefined();
    });

    it('GCRA: the limit at once, then one per interval; a refusal consumes nothing; exact at the boundary', async () => {
      const { key, keyId } = await limitedKey({ ratelimits: [{ name: 'default', limit: 3, window: 'minute' }] });
      const got = await h.call('GET', `/v1/accounts/${t.accountId}/keys/${keyId}`, { token: t.adminToken });
      expect(got.body.ratelimits).toEqual([{ name: 'default', limit: 3, window: 'minute', burst: null }]);
      const codes: string[] = [];
      for (let i = 0; i < 5; i++) codes.push((await h.call('POST', '/v1/keys/verify', { body: { key } })).body.code);
      expect(codes).toEqual(['VALID', 'VALID', 'VALID', 'RATE_LIMITED', 'RATE_LIMITED']);
      const refused = await h.call('POST', '/v1/keys/verify', { body: { key } });
      expect(refused.body).toMatchObject({ valid: false, code: 'RATE_LIMITED', retryAfterSeconds: 20 });
      expect(refused.body.ratelimits).toEqual([{ name: 'default', owner: 'key', limit: 3, remaining: 0, reset: 60 }]);
      clock.advance(20_000 - 1);
      expect((await h.call('POST', '/v1/keys/verify', { body: { key } })).body.code).toBe('RATE_LIMITED');
      clock.advance(1);
      expect((await h.call('POST', '/v1/keys/verify', { body: { key } })).body.code).toBe('VALID');
      expect((await h.call('POST', '/v1/keys/verify', { body: { key } })).body.code).toBe('RATE_LIMITED');
      clock.advance(60_000);
      const after = await Promise.all([1, 2, 3, 4].map(() => verifyOn(h.kw, { key })));
      expect(after.map((r) => r.code).sort()).toEqual(['RATE_LIMITED', 'VALID', 'VALID', 'VALID']);
    });

    it('a key revoked while rate limited answers REVOKED', async () => {
      const { key, keyId } = await limitedKey({ ratelimits: [{ name: 'default', limit: 1, window: 'hour' }] });
      expect((await verifyOn(h.kw, { key })).code).toBe('VALID');
      expect((await verifyOn(h.kw, { key })).code).toBe('RATE_LIMITED');
      expect((await h.call('POST', `/v1/accounts/${t.accountId}/keys/${keyId}/revoke`, { token: t.adminToken })).status).toBe(200);
      expect((await verifyOn(h.kw, { key })).code).toBe('REVOKED');
    });

    it('quota of 50 at cost 3: exactly 16 allowed, concurrently; then USAGE_EXCEEDED; refilled lazily at the next day', async () => {
      const { key, keyId } = await limitedKey({ quota: { credits: 50, refill: { amount: 50, interval: 'daily' } } });
      const answers = await Promise.all(Array.from({ length: 40 }, () => verifyOn(h.kw, { key, cost: 3 })));
      expect(answers.filter((a) => a.code === 'VALID')).toHaveLength(16);
      expect(answers.filter((a) => a.code === 'USAGE_EXCEEDED')).toHaveLength(24);
      expect((await verifyOn(h.kw, { key, cost: 2 })).code).toBe('VALID'); // 2 left
      expect((await verifyOn(h.kw, { key, cost: 1 })).code).toBe('USAGE_EXCEEDED');
      await h.kw.ctx.quotaLedger.flush();
      const read = await h.call('GET', `/v1/accounts/${t.accountId}/keys/${keyId}`, { token: t.adminToken });
      expect(read.body.quota).toEqual({ credits: 50, refill: { amount: 50, interval: 'daily' }, remaining: 0 });
      clock.set(NEXT_DAY - 1);
      expect((await verifyOn(h.kw, { key })).code).toBe('USAGE_EXCEEDED');
      clock.set(NEXT_DAY);
      const refilled = await verifyOn(h.kw, { key, cost: 10 });
      expect(refilled.code).toBe('VALID');
      expect(refilled.quotas).toEqual([{ owner: 'key', remaining: 40, refillAt: NEXT_DAY + DAY }]);
      clock.set(T0);
    });

    it('quota spends are durable: a new process on the same store continues from the flushed count', async () => {
      const { key } = await limitedKey({ quota: { credits: 10 } });
      for (let i = 0; i < 4; i++) expect((await verifyOn(h.kw, { key })).code).toBe('VALID');
      await h.kw.ctx.quotaLedger.flush();
      const second = await createKeyward({ ...h.config });
      try {
        second.ctx.now = () => clock.now;
        const answers = await Promise.all(Array.from({ length: 8 }, () => verifyOn(second, { key })));
        expect(answers.filter((a) => a.code === 'VALID')).toHaveLength(6);
      } finally {
        await second.close();
      }
    });

    it('named limits with a cost; account limits and plans set by the operator only, audited', async () => {
      const { key, keyId } = await limitedKey({
        ratelimits: [
          { name: 'reads', limit: 10, window: 'second' },
          { name: 'writes', limit: 2, window: 'second' },
        ],
      });
      expect((await verifyOn(h.kw, { key, ratelimits: [{ name: 'writes', cost: 2 }] })).ratelimits).toEqual([
        { name: 'writes', owner: 'key', limit: 2, remaining: 0, reset: 1 },
      ]);
      expect((await verifyOn(h.kw, { key, ratelimits: [{ name: 'writes' }] })).code).toBe('RATE_LIMITED');
      expect((await verifyOn(h.kw, { key, ratelimits: [{ name: 'reads', cost: 5 }] })).code).toBe('VALID');
      // An account limit applies to every key of the account; only the operator sets it.
      const denied = await h.call('PATCH', `/v1/accounts/${t.accountId}`, {
        token: t.adminToken,
        body: { ratelimits: [{ name: 'account', limit: 1, window: 'day' }] },
      });
      expect(denied.status).toBe(403);
      const set = await h.call('PATCH', `/v1/accounts/${t.accountId}`, {
        token: h.operatorToken,
        body: { ratelimits: [{ name: 'account', limit: 1, window: 'day' }] },
      });
      expect(set.status).toBe(200);
      expect(set.body.ratelimits).toEqual([{ name: 'account', limit: 1, window: 'day', burst: null }]);
      const other = await limitedKey({});
      expect((await verifyOn(h.kw, { key: other.key })).code).toBe('VALID');
      expect((await verifyOn(h.kw, { key: other.key })).code).toBe('RATE_LIMITED');
      expect((await verifyOn(h.kw, { key })).code).toBe('RATE_LIMITED');
      const plan = await h.call('PATCH', `/v1/accounts/${t.accountId}`, { token: h.operatorToken, body: { plan: 'nope' } });
      expect(plan.body.error.code).toBe('UNKNOWN_PLAN');
      await h.call('PATCH', `/v1/accounts/${t.accountId}`, { token: h.operatorToken, body: { ratelimits: [] } });
      // The key's limits are editable by who may edit the key, and audited.
      const edit = await h.call('PATCH', `/v1/accounts/${t.accountId}/keys/${keyId}`, {
        token: t.adminToken,
        body: { ratelimits: [{ name: 'writes', limit: 100, window: 'second' }] },
      });
      expect(edit.status).toBe(200);
      expect((await verifyOn(h.kw, { key, ratelimits: [{ name: 'writes', cost: 50 }] })).code).toBe('VALID');
      const audit = await h.call('GET', `/v1/accounts/${t.accountId}/audit`, { token: t.adminToken });
      const actions = (audit.body.events as { action: string }[]).map((e) => e.action);
      expect(actions).toContain('key.set_limits');
      expect(actions).toContain('account.set_limits');
    });

    it('/v1/authorize: RateLimit headers on 200, 429 RATE_LIMITED with Retry-After; refused requests consume nothing', async () => {
      const { key } = await appWithKey(h, t, t.adminToken, ['device:read'], {
        ratelimits: [{ name: 'gw', limit: 2, window: 'minute' }],
      });
      const ask = (uri: string) =>
        h.call('GET', '/v1/authorize', {
          headers: { authorization: `Bearer ${key}`, 'x-original-uri': uri, 'x-original-method': 'GET' },
        });
      const denied = await ask('/integration/nowhere');
      expect(denied.status).toBe(403);
      const first = await ask('/integration/device/csvExport');
      expect(first.status).toBe(200);
      expect(first.headers).toMatchObject({
        'ratelimit-limit': '2',
        'ratelimit-remaining': '1',
        'ratelimit-reset': '30',
        'ratelimit-policy': '2;w=60',
      });
      expect((await ask('/integration/device/csvExport')).status).toBe(200);
      const limited = await ask('/integration/device/csvExport');
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('RATE_LIMITED');
      expect(limited.headers).toMatchObject({ 'retry-after': '30', 'ratelimit-remaining': '0', 'x-keyward-error': 'RATE_LIMITED' });
    });

    it("signed device requests spend their account's limits: limit 5, 8 signed → exactly 5; shared with the account's keys; none without limits", async () => {
      const u = await h.tenant();
      const dev = await createDevice(h, u);
      const signedVerify = (kw: Keyward = h.kw) => signedOn(kw, signedCheck(dev.id, dev.secret as string, { now: clock.now }));
      // Before the account has limits: answered as before (and the account's no-limits is what is cached now).
      const free = await signedVerify();
      expect(free).toEqual({ status: 200, valid: true, code: 'VALID', deviceId: dev.id, accountId: u.accountId });
      const set = await h.call('PATCH', `/v1/accounts/${u.accountId}`, {
        token: h.operatorToken,
        body: { ratelimits: [{ name: 'devices', limit: 5, window: 'minute' }] },
      });
      expect(set.status).toBe(200);
      const answers = await Promise.all(Array.from({ length: 8 }, () => signedVerify()));
      expect(answers.filter((a) => a.code === 'VALID')).toHaveLength(5);
      const refused = answers.filter((a) => a.code === 'RATE_LIMITED');
      expect(refused).toHaveLength(3);
      expect(refused[0]).toMatchObject({ valid: false, deviceId: dev.id, accountId: u.accountId, retryAfterSeconds: 12 });
      expect(refused[0]?.ratelimits).toEqual([{ name: 'devices', owner: 'account', limit: 5, remaining: 0, reset: 60 }]);
      // The same counter as the account's keys: a key of the account is refused too.
      const k = await appWithKey(h, u, u.adminToken, ['device:read']);
      expect((await verifyOn(h.kw, { key: k.key })).code).toBe('RATE_LIMITED');
      // GET /v1/authorize with a signature: RateLimit headers on 200, 429 when over.
      clock.advance(12_000);
      const ask = () => {
        const c = signedCheck(dev.id, dev.secret as string, {
          now: clock.now,
          method: 'GET',
          path: `/integration/device/status?n=${Math.random()}`,
          host: 'api.example.com',
          body: '',
        });
        return h.call('GET', '/v1/authorize', {
          headers: {
            authorization: c.authorization,
            'x-bcot-timestamp': c.timestamp,
            'x-original-method': c.method,
            'x-original-uri': c.path,
            'x-original-host': 'api.example.com',
          },
        });
      };
      const ok = await ask();
      expect(ok.status).toBe(200);
      expect(ok.headers).toMatchObject({
        'ratelimit-limit': '5',
        'ratelimit-remaining': '0',
        'ratelimit-reset': '60',
        'ratelimit-policy': '5;w=60',
      });
      const over = await ask();
      expect([over.status, over.body.error.code, over.headers['retry-after'], over.headers['x-keyward-error']]).toEqual([
        429,
        'RATE_LIMITED',
        '12',
        'RATE_LIMITED',
      ]);
      // The account's quota too: 3 credits, 6 concurrent signed requests → exactly 3.
      clock.advance(60_000);
      await h.call('PATCH', `/v1/accounts/${u.accountId}`, { token: h.operatorToken, body: { ratelimits: [], quota: { credits: 3 } } });
      const spent = await Promise.all(Array.from({ length: 6 }, () => signedVerify()));
      expect(spent.filter((a) => a.code === 'VALID')).toHaveLength(3);
      expect(spent.filter((a) => a.code === 'USAGE_EXCEEDED')).toHaveLength(3);
      expect(spent.find((a) => a.code === 'USAGE_EXCEEDED')?.quotas).toEqual([{ owner: 'account', remaining: 0, refillAt: null }]);
      // A wrong signature never reaches a counter: INVALID_SIGNATURE, not USAGE_EXCEEDED.
      expect((await signedOn(h.kw, signedCheck(dev.id, 'f'.repeat(64), { now: clock.now }))).code).toBe('INVALID_SIGNATURE');
    });
  });
}

/** Three nodes (createKeyward ×3) on one PostgreSQL database sharing one Redis, one clock. */
const postgres = DIALECTS.find((d) => d.name === 'postgres') as (typeof DIALECTS)[number];
describe.skipIf(!postgres.enabled || !REDIS_URL)('exact across 3 nodes over Redis [postgres]', () => {
  let h: Harness;
  let t: Tenant;
  let nodes: Keyward[];
  let clock: ReturnType<typeof clockOf>;
  beforeAll(async () => {
    h = await createHarness(postgres, { redisUrl: REDIS_URL });
    nodes = [h.kw, await createKeyward({ ...h.config }), await createKeyward({ ...h.config })];
    t = await h.tenant();
    clock = clockOf(nodes);
  });
  afterAll(async () => {
    for (const kw of nodes?.slice(1) ?? []) await kw.close();
    await h?.close();
  });

  it('limit 100/min, 1,000 concurrent requests spread over 3 nodes: exactly 100 allowed', async () => {
    const { key } = await appWithKey(h, t, t.adminToken, [], { ratelimits: [{ name: 'default', limit: 100, window: 'minute' }] });
    const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => verifyOn(nodes[i % 3] as Keyward, { key })));
    // Every decision was Redis's: a script call slower than 1 s (an overloaded machine) would fall back to per-node counters.
    expect(nodes.map((n) => (n.ctx.limiter as RedisEngine).stats.fallbackChecks)).toEqual([0, 0, 0]);
    expect(answers.filter((a) => a.code === 'VALID')).toHaveLength(100);
    expect(answers.filter((a) => a.code === 'RATE_LIMITED')).toHaveLength(900);
    // Over the limit, a node answers from what it remembers, without Redis.
    clock.advance(600);
    const next = await Promise.all([0, 1, 2].map((i) => verifyOn(nodes[i] as Keyward, { key })));
    expect(next.filter((a) => a.code === 'VALID')).toHaveLength(1);
  });

  it('account limit 20/min, 60 concurrent signed device requests over 3 nodes: exactly 20 allowed', async () => {
    const u = await h.tenant();
    const dev = await createDevice(h, u);
    await h.call('PATCH', `/v1/accounts/${u.accountId}`, {
      token: h.operatorToken,
      body: { ratelimits: [{ name: 'devices', limit: 20, window: 'minute' }] },
    });
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        signedOn(nodes[i % 3] as Keyward, signedCheck(dev.id, dev.secret as string, { now: clock.now })),
      ),
    );
    expect(answers.filter((a) => a.code === 'VALID')).toHaveLength(20);
    expect(answers.filter((a) => a.code === 'RATE_LIMITED')).toHaveLength(40);
  });

  it('10⁶ a second with a burst of 1,000, 1,100 requests in one ms over 3 nodes: exactly 1,000 (the Lua script is exact too)', async () => {
    const { key } = await appWithKey(h, t, t.adminToken, [], {
      ratelimits: [{ name: 'hot', limit: 1_000_000, window: 'second', burst: 1000 }],
    });
    const answers = await Promise.all(Array.from({ length: 1100 }, (_, i) => verifyOn(nodes[i % 3] as Keyward, { key })));
    expect(nodes.map((n) => (n.ctx.limiter as RedisEngine).stats.fallbackChecks)).toEqual([0, 0, 0]);
    expect(answers.filter((a) => a.code === 'VALID')).toHaveLength(1000);
    const refused = answers.find((a) => a.code === 'RATE_LIMITED');
    expect(refused).toMatchObject({ retryAfterSeconds: 1, ratelimits: [{ name: 'hot', remaining: 0, reset: 1 }] });
    clock.advance(1);
    const next = await Promise.all(Array.from({ length: 1100 }, (_, i) => verifyOn(nodes[i % 3] as Keyward, { key })));
    expect(next.filter((a) => a.code === 'VALID')).toHaveLength(1000);
  });

  it('quota 50 at cost 3 over 3 nodes: exactly 16 allowed; a request denied by a limit consumes no credit', async () => {
    const { key } = await appWithKey(h, t, t.adminToken, [], { quota: { credits: 50 } });
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => verifyOn(nodes[i % 3] as Keyward, { key, cost: 3 })));
    expect(answers.filter((a) => a.code === 'VALID')).toHaveLength(16);
    const both = await appWithKey(h, t, t.adminToken, [], {
      quota: { credits: 5 },
      ratelimits: [{ name: 'one', limit: 1, window: 'hour' }],
    });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await verifyOn(nodes[i % 3] as Keyward, { key: both.key })).code);
    expect(codes).toEqual(['VALID', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    const left = await verifyOn(nodes[0] as Keyward, { key: both.key, ratelimits: [], cost: 4 });
    expect(left).toMatchObject({ code: 'VALID', quotas: [{ owner: 'key', remaining: 0, refillAt: null }] });
  });
});

for (const mode of ['open', 'closed'] as const) {
  describe.skipIf(!REDIS_URL)(`Redis cut mid-test: KEYWARD_RATELIMIT_ON_REDIS_DOWN=${mode} [sqlite]`, () => {
    let h: Harness;
    let t: Tenant;
    let proxy: TcpProxy;
    beforeAll(async () => {
      const target = new URL(REDIS_URL as string);
      proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
      h = await createHarness(DIALECTS[0] as (typeof DIALECTS)[number], {
        redisUrl: `redis://127.0.0.1:${proxy.port}`,
        ratelimitOnRedisDown: mode,
      });
      t = await h.tenant();
      clockOf([h.kw]);
    });
    afterAll(async () => {
      await h?.close();
      await proxy?.close();
    });

    it(mode === 'open' ? 'limits still hold, on this node’s own counters' : 'limited keys are refused with 503; others pass', async () => {
      const { key } = await appWithKey(h, t, t.adminToken, [], { ratelimits: [{ name: 'default', limit: 5, window: 'minute' }] });
      const free = await appWithKey(h, t, t.adminToken, []);
      expect((await verifyOn(h.kw, { key })).code).toBe('VALID');
      expect(h.kw.ctx.limiter.mode).toBe('redis');
      const before = await scrape(h.kw);
      expect(before.get('keyward_ratelimit_backend_up{backend="redis"}')).toBe(1);
      expect(before.get('keyward_ratelimit_decisions_total{outcome="allowed"}')).toBe(1);
      expect(before.get('keyward_ratelimit_fail_open_total')).toBe(0);
      expect(before.get('keyward_ratelimit_fail_closed_total')).toBe(0);
      proxy.cut('reset');
      const answers = [];
      for (let i = 0; i < 8; i++) answers.push(await verifyOn(h.kw, { key }));
      if (mode === 'open') {
        expect(answers.filter((a) => a.code === 'VALID')).toHaveLength(5);
        expect(answers.filter((a) => a.code === 'RATE_LIMITED')).toHaveLength(3);
        expect(h.kw.ctx.limiter.mode).toBe('redis-down-local');
      } else {
        expect(answers.map((a) => a.status)).toEqual(Array(8).fill(503));
        expect(answers[0]?.error.code).toBe('STORE_UNAVAILABLE');
      }
      expect((await verifyOn(h.kw, { key: free.key })).code).toBe('VALID');
      const after = await scrape(h.kw);
      expect(after.get('keyward_ratelimit_backend_up{backend="redis"}')).toBe(0);
      // Every limited request after the cut went to the fallback (open) or was refused (closed); the free key decides nothing.
      expect(after.get('keyward_ratelimit_fail_open_total')).toBe(mode === 'open' ? 8 : 0);
      expect(after.get('keyward_ratelimit_fail_closed_total')).toBe(mode === 'closed' ? 8 : 0);
      expect(after.get('keyward_ratelimit_decisions_total{outcome="allowed"}')).toBe(mode === 'open' ? 6 : 1);
      expect(after.get('keyward_ratelimit_decisions_total{outcome="limited"}')).toBe(mode === 'open' ? 3 : 0);
      expect(after.get('keyward_ratelimit_redis_errors_total')).toBeGreaterThanOrEqual(0);
      proxy.reopen();
    });
  });
}

describe('plans of the catalogue, given to accounts by the operator [sqlite]', () => {
  let h: Harness;
  let t: Tenant;
  beforeAll(async () => {
    h = await createHarness(DIALECTS[0] as (typeof DIALECTS)[number], {
      catalogue: {
        ...DEFAULT_CATALOGUE,
        plans: [
          {
            name: 'starter',
            description: 'Starter',
            ratelimits: [{ name: 'default', limit: 2, window: 'minute' }],
            quota: { credits: 3, refill: { amount: 3, interval: 'monthly' } },
          },
        ],
      },
    });
    t = await h.tenant();
    clockOf([h.kw]);
  });
  afterAll(async () => h?.close());

  it('GET /v1/plans: the operator and account admins read the plans; members and keys not acting as admins are refused', async () => {
    const starter = {
      name: 'starter',
      description: 'Starter',
      ratelimits: [{ name: 'default', limit: 2, window: 'minute', burst: null }],
      quota: { credits: 3, refill: { amount: 3, interval: 'monthly' } },
    };
    for (const token of [h.operatorToken, t.adminToken]) {
      const res = await h.call('GET', '/v1/plans', { token });
      expect([res.status, res.body]).toEqual([200, { plans: [starter] }]);
    }
    const member = await h.call('POST', `/v1/accounts/${t.accountId}/users`, {
      token: t.adminToken,
      body: { email: `plans-member-${Date.now()}@test.local`, name: 'M', password: 'member-password-1' },
    });
    expect(member.status).toBe(201);
    const memberToken = (await h.call('POST', '/v1/auth/login', { body: { email: member.body.email, password: 'member-password-1' } })).body
      .token;
    const refused = await h.call('GET', '/v1/plans', { token: memberToken });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'FORBIDDEN']);
    // A key with a management scope that is not an admin's: 403; a key without any keyward: scope is no management credential: 401.
    const manager = await appWithKey(h, t, t.adminToken, ['keyward:applications.view']);
    const byKey = await h.call('GET', '/v1/plans', { token: manager.key });
    expect([byKey.status, byKey.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const plain = await appWithKey(h, t, t.adminToken, ['device:read']);
    const noScope = await h.call('GET', '/v1/plans', { token: plain.key });
    expect([noScope.status, noScope.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
  });

  it("a plan's limits apply to every key of the account; its quota is granted when given; own limits replace the plan's", async () => {
    const { key } = await appWithKey(h, t, t.adminToken);
    const given = await h.call('PATCH', `/v1/accounts/${t.accountId}`, { token: h.operatorToken, body: { plan: 'starter' } });
    expect(given.status).toBe(200);
    expect(given.body).toMatchObject({ plan: 'starter', quota: { credits: 3, remaining: 3, refill: { amount: 3, interval: 'monthly' } } });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await verifyOn(h.kw, { key })).code);
    expect(codes).toEqual(['VALID', 'VALID', 'RATE_LIMITED']);
    // The account's own `default` replaces the plan's: 2/min becomes 100/min; the quota (3, 2 spent) still holds.
    await h.call('PATCH', `/v1/accounts/${t.accountId}`, {
      token: h.operatorToken,
      body: { ratelimits: [{ name: 'default', limit: 100, window: 'minute' }] },
    });
    expect((await verifyOn(h.kw, { key })).code).toBe('VALID');
    const out = await verifyOn(h.kw, { key });
    expect(out.code).toBe('USAGE_EXCEEDED');
    expect(out.quotas).toEqual([{ owner: 'account', remaining: 0, refillAt: expect.any(Number) }]);
    await h.kw.ctx.quotaLedger.flush();
    const read = await h.call('GET', `/v1/accounts/${t.accountId}`, { token: t.adminToken });
    expect(read.body.quota.remaining).toBe(0);
  });

  it('POST /v1/accounts with a plan: the operator only; UNKNOWN_PLAN refused with nothing written; the quota granted, audited as PATCH', async () => {
    const stamp = Date.now().toString(36);
    const body = (n: string, plan?: unknown) => ({
      name: `Planned ${n}`,
      customerId: `PLAN-${n}-${stamp}`,
      ...(plan !== undefined && { plan }),
      admin: { email: `plan-${n}-${stamp}@test.local`, name: 'P', password: 'long-enough-1' },
    });
    const byAdmin = await h.call('POST', '/v1/accounts', { token: t.adminToken, body: body('a', 'starter') });
    expect([byAdmin.status, byAdmin.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const unknown = await h.call('POST', '/v1/accounts', { token: h.operatorToken, body: body('u', 'nope') });
    expect([unknown.status, unknown.body.error.code]).toEqual([400, 'UNKNOWN_PLAN']);
    const hostile = await h.call('POST', '/v1/accounts', { token: h.operatorToken, body: body('h', 'x'.repeat(10_000)) });
    expect([hostile.status, hostile.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const wrongType = await h.call('POST', '/v1/accounts', { token: h.operatorToken, body: body('w', 7) });
    expect([wrongType.status, wrongType.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const all = await h.call('GET', '/v1/accounts', { token: h.operatorToken });
    const ids = (all.body.accounts as { customerId: string }[]).map((a) => a.customerId);
    expect(ids.filter((c) => c.endsWith(stamp))).toEqual([]);

    const made = await h.call('POST', '/v1/accounts', { token: h.operatorToken, body: body('s', 'starter') });
    expect(made.status).toBe(201);
    expect(made.body.account).toMatchObject({
      plan: 'starter',
      ratelimits: [],
      quota: { credits: 3, remaining: 3, refill: { amount: 3, interval: 'monthly' } },
    });
    const id = made.body.account.id as string;
    const read = await h.call('GET', `/v1/accounts/${id}`, { token: h.operatorToken });
    expect(read.body).toMatchObject({ plan: 'starter', quota: { credits: 3, remaining: 3 } });
    const audit = await h.call('GET', `/v1/accounts/${id}/audit`, { token: h.operatorToken });
    const set = (audit.body.events as { action: string; details: any }[]).find((e) => e.action === 'account.set_limits');
    expect(set?.details).toMatchObject({ plan: 'starter', quota: { credits: 3 }, previous: { ratelimits: [], quota: null, plan: null } });
    // The plan's limits hold for the new account's keys at once.
    const admin = await h.call('POST', '/v1/auth/login', { body: { email: `plan-s-${stamp}@test.local`, password: 'long-enough-1' } });
    const { key } = await appWithKey(h, { accountId: id } as Tenant, admin.body.token);
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await verifyOn(h.kw, { key })).code);
    expect(codes).toEqual(['VALID', 'VALID', 'RATE_LIMITED']);

    // Without a plan (or null): none, no quota, no set_limits event.
    const plain = await h.call('POST', '/v1/accounts', { token: h.operatorToken, body: body('n', null) });
    expect(plain.status).toBe(201);
    expect(plain.body.account).toMatchObject({ plan: null, quota: null });
    const plainAudit = await h.call('GET', `/v1/accounts/${plain.body.account.id}/audit`, { token: h.operatorToken });
    expect((plainAudit.body.events as { action: string }[]).map((e) => e.action).sort()).toEqual(['account.create', 'user.create']);
  });
});
