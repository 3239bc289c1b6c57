import type { SharedRedis } from '../cache/redis.js';
import { KeywardError } from '../core/errors.js';
import { type CheckOutcome, type CheckRequest, gcra, type LimitCheck, type QuotaCheck } from '../core/ratelimit.js';
import type { RateLimitEngine } from './engine.js';
import { type LocalEngine, quotaState } from './local-engine.js';
import type { QuotaLedger } from './quota-ledger.js';

/**
 * All of a request's limits and quotas decided by one Lua script, in one round trip and
 * atomically (Redis runs a script alone): every check is made before anything is written, so a
 * request denied by one counter consumes none. The arithmetic is core/ratelimit.ts's `gcra` and
 * `refilled`, line for line. Counters: `<prefix>g:<counter>` holds a GCRA tat as `<ms>:<1/den ms>`
 * (integers: exact, see `gcra`; expiring when whole again, but never sooner than 10 s: a tat in
 * the past means the same as none, and the margin keeps nodes whose clocks differ by less than
 * that from reading a counter the other already let expire); `<prefix>q:<owner>` a quota hash
 * {g generation, r remaining, p period start}. (Counters of the versions that kept the tat as a
 * float in ms were `<prefix>r:<counter>`: a new name, so neither version misreads the other's.)
 * A quota hash that is missing or of an older generation is seeded from the store (the script
 * asks for it: a second round trip, only then).
 */
const SCRIPT = `
local now = tonumber(ARGV[1])
local nl = tonumber(ARGV[2])
local nq = tonumber(ARGV[3])
local i = 4
local out = {1, 0}
local newMs = {}
local newFrac = {}
local exhausted = false
for q = 1, nq do
  local gen = tonumber(ARGV[i]); local cost = tonumber(ARGV[i+1]); local refill = tonumber(ARGV[i+2])
  local pstart = tonumber(ARGV[i+3]); local seedG = tonumber(ARGV[i+4]); local seedR = tonumber(ARGV[i+5]); local seedP = tonumber(ARGV[i+6])
  i = i + 7
  local h = redis.call('HMGET', KEYS[nl + q], 'g', 'r', 'p')
  local g = tonumber(h[1])
  local r, p
  if g ~= nil and g >= gen then r = tonumber(h[2]); p = tonumber(h[3])
  elseif seedG >= gen then g = seedG; r = seedR; p = seedP
  else return {-2, q} end
  if refill >= 0 and p < pstart then r = refill; p = pstart end
  if r < cost then exhausted = true end
  out[#out + 1] = g; out[#out + 1] = r; out[#out + 1] = p
end
local retry = 0
local denied = false
for l = 1, nl do
  local den = tonumber(ARGV[i]); local windowMs = tonumber(ARGV[i+1]); local stepMs = tonumber(ARGV[i+2])
  local stepFrac = tonumber(ARGV[i+3]); local tolMs = tonumber(ARGV[i+4]); local tolFrac = tonumber(ARGV[i+5])
  i = i + 6
  local tMs, tFrac = 0, 0
  local v = redis.call('GET', KEYS[l])
  if v then
    local c = string.find(v, ':', 1, true)
    if c then tMs = tonumber(string.sub(v, 1, c - 1)); tFrac = tonumber(string.sub(v, c + 1)) end
  end
  local bMs, bFrac = tMs, tFrac
  if tMs < now then bMs = now; bFrac = 0 end
  local nMs = bMs + stepMs
  local nFrac = bFrac + stepFrac
  if nFrac >= den then nFrac = nFrac - den; nMs = nMs + 1 end
  local aheadMs = nMs - now
  local hMs, hFrac = aheadMs, nFrac
  if aheadMs > tolMs or (aheadMs == tolMs and nFrac > tolFrac) then
    denied = true
    hMs = bMs - now; hFrac = bFrac
    local dMs = aheadMs - tolMs
    local dFrac = nFrac - tolFrac
    if dFrac < 0 then dFrac = dFrac + den; dMs = dMs - 1 end
    local wait = dMs
    if dFrac > 0 then wait = wait + 1 end
    if wait > retry then retry = wait end
  end
  newMs[l] = nMs; newFrac[l] = nFrac
  local left = (tolMs - hMs) * den + (tolFrac - hFrac)
  local remaining = 0
  if left > 0 then remaining = math.floor(left / windowMs) end
  local reset = hMs
  if hFrac > 0 then reset = reset + 1 end
  out[#out + 1] = remaining; out[#out + 1] = reset
  out[#out + 1] = tMs; out[#out + 1] = tFrac
end
if exhausted then out[1] = -1; return out end
if denied then out[1] = 0; out[2] = retry; return out end
for l = 1, nl do
  local ttl = newMs[l] - now + 1
  if newFrac[l] > 0 then ttl = ttl + 1 end
  if ttl < 10000 then ttl = 10000 end
  redis.call('SET', KEYS[l], string.format('%.0f:%.0f', newMs[l], newFrac[l]), 'PX', ttl)
end
local ttlq = tonumber(ARGV[i])
for q = 1, nq do
  local o = 2 + (q - 1) * 3
  local cost = tonumber(ARGV[4 + (q - 1) * 7 + 1])
  redis.call('HSET', KEYS[nl + q], 'g', out[o + 1], 'r', out[o + 2] - cost, 'p', out[o + 3])
  redis.call('PEXPIRE', KEYS[nl + q], ttlq)
end
return out
`;

/** An idle quota hash expires after a week; the next use seeds it from the store again. */
const QUOTA_TTL_MS = 7 * 86_400_000;
/** Counters remembered as over their limit (floods answered without Redis); past it, cleared. */
const MAX_REMEMBERED = 100_000;

type Reply = (number | string)[];

interface ScriptRunner {
  keywardRateLimit(...args: (string | number)[]): Promise<Reply>;
}

export interface RedisEngineOptions {
  redis: SharedRedis;
  prefix: string;
  ledger: QuotaLedger;
  /** Decides while Redis is unreachable, with `onRedisDown: 'open'`. */
  fallback: LocalEngine;
  onRedisDown: 'open' | 'closed';
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

export class RedisEngine implements RateLimitEngine {
  /** Counters known to be over their limit: their tat when Redis said so (another node can only move it later). */
  private readonly overLimit = new Map<string, { ms: number; frac: number }>();
  private readonly exhausted = new Map<string, number>();
  private down = false;
  /** Quota owners spent from locally while Redis was down: their Redis counters are stale. */
  private readonly spentWhileDown = new Set<string>();
  /**
   * For metrics (src/metrics/registry.ts): requests decided by the fallback (fail-open), refused
   * while Redis was down (fail-closed), refused from this node's memory without a Redis call, and
   * script calls that failed (an error or a timeout; not counted while the client is known down).
   */
  readonly stats = { fallbackChecks: 0, refusedWhileDown: 0, rememberedDenials: 0, redisErrors: 0 };

  constructor(private readonly opts: RedisEngineOptions) {
    opts.redis.commands.defineCommand('keywardRateLimit', { lua: SCRIPT });
  }

  /** Whether the shared counters are in use: the client is connected and the last script call did not fail. */
  get redisUp(): boolean {
    return !this.down && this.opts.redis.ready;
  }

  get mode(): string {
    return this.down ? (this.opts.onRedisDown === 'open' ? 'redis-down-local' : 'redis-down-closed') : 'redis';
  }

  check(req: CheckRequest): CheckOutcome | Promise<CheckOutcome> {
    const remembered = this.remembered(req);
    if (remembered) return remembered;
    if (!this.opts.redis.ready) return this.whileDown(req, undefined);
    return this.run(req).catch((err: unknown) => {
      if (isKeywardError(err)) return Promise.reject(err);
      this.stats.redisErrors++;
      return this.whileDown(req, err);
    });
  }

  /** A request that includes a counter known to be over its limit (or a spent quota) is refused here. */
  private remembered(req: CheckRequest): CheckOutcome | undefined {
    if (this.overLimit.size === 0 && this.exhausted.size === 0) return undefined;
    const { now } = req;
    for (const q of req.quotas) {
      const until = this.exhausted.get(`${q.ownerId}|${q.generation}`);
      if (until !== undefined && now < until && q.cost > 0) {
        this.stats.rememberedDenials++;
        return { allowed: false, code: 'USAGE_EXCEEDED', limits: [], quotas: req.quotas.map((c) => quotaState(c, 0)) };
      }
    }
    let retry = 0;
    for (const l of req.limits) {
      const over = this.overLimit.get(l.counter);
      if (over === undefined) continue;
      if (over.ms < now || (over.ms === now && over.frac === 0)) {
        this.overLimit.delete(l.counter);
        continue;
      }
      const r = gcra(over.ms, over.frac, l, now);
      if (!r.allowed) retry = Math.max(retry, r.retryAfterMs);
    }
    if (retry === 0) return undefined;
    this.stats.rememberedDenials++;
    return {
      allowed: false,
      code: 'RATE_LIMITED',
      retryAfterMs: retry,
      limits: req.limits.map((l) => {
        // What the counter holds as this request is refused (as remembered; whole when not remembered).
        const held = heldState(this.overLimit.get(l.counter) ?? NEVER_USED, l, now);
        return { name: l.name, owner: l.owner, limit: l.limit, windowSeconds: l.windowSeconds, ...held };
      }),
      quotas: [],
    };
  }

  private async run(
    req: CheckRequest,
    seeds: Map<number, { generation: number; remaining: number; periodStart: number }> = new Map(),
  ): Promise<CheckOutcome> {
    if (this.spentWhileDown.size > 0) await this.dropStaleQuotas();
    const p = this.opts.prefix;
    const keys = [...req.limits.map((l) => `${p}g:${l.counter}`), ...req.quotas.map((q) => `${p}q:${q.ownerId}`)];
    const args: (string | number)[] = [req.now, req.limits.length, req.quotas.length];
    req.quotas.forEach((q, i) => {
      const seed = seeds.get(i);
      args.push(
        q.generation,
        q.cost,
        q.refill?.amount ?? -1,
        q.periodStart,
        seed?.generation ?? -1,
        seed?.remaining ?? 0,
        seed?.periodStart ?? 0,
      );
    });
    for (const l of req.limits) args.push(l.den, l.windowSeconds * 1000, l.stepMs, l.stepFrac, l.tolMs, l.tolFrac);
    args.push(QUOTA_TTL_MS);
    const reply = await (this.opts.redis.commands as unknown as ScriptRunner).keywardRateLimit(keys.length, ...keys, ...args);
    if (this.down) {
      this.down = false;
      this.opts.log.info({}, 'rate limits: Redis reachable again, counters shared again');
    }
    const status = Number(reply[0]);
    if (status === -2) {
      // A quota counter Redis does not hold (first use, expired, or a newer generation): seed it from the store.
      const index = Number(reply[1]) - 1;
      const q = req.quotas[index] as QuotaCheck;
      // Each quota is seeded at most once per request: a seed the script still refuses (a stored counter of
      // an older generation than the cached key says) is the store's last word, so a second ask is an error.
      if (seeds.has(index)) throw new Error('rate limits: a quota counter is older than its key record');
      seeds.set(index, await this.opts.ledger.seed(q));
      return this.run(req, seeds);
    }
    return this.outcome(req, reply, status);
  }

  private outcome(req: CheckRequest, reply: Reply, status: number): CheckOutcome {
    let o = 2;
    const quotaCounters = req.quotas.map((q) => {
      const c = { generation: Number(reply[o]), remaining: Number(reply[o + 1]), periodStart: Number(reply[o + 2]) };
      o += 3;
      return { q, c };
    });
    const limitTats: { ms: number; frac: number }[] = [];
    const limits = req.limits.map((l) => {
      const state = {
        name: l.name,
        owner: l.owner,
        limit: l.limit,
        windowSeconds: l.windowSeconds,
        remaining: Number(reply[o]),
        resetMs: Number(reply[o + 1]),
      };
      limitTats.push({ ms: Number(reply[o + 2]), frac: Number(reply[o + 3]) });
      o += 4;
      return state;
    });
    if (status === -1) {
      const quotas = quotaCounters.map(({ q, c }) => quotaState(q, c.remaining));
      for (const { q, c } of quotaCounters) if (c.remaining < q.cost && c.remaining <= 0) this.rememberExhausted(q, c.generation);
      return { allowed: false, code: 'USAGE_EXCEEDED', limits, quotas };
    }
    if (status === 0) {
      req.limits.forEach((l, i) => {
        const tat = limitTats[i] as { ms: number; frac: number };
        if (!gcra(tat.ms, tat.frac, l, req.now).allowed) this.rememberOver(l, tat);
      });
      return {
        allowed: false,
        code: 'RATE_LIMITED',
        retryAfterMs: Number(reply[1]),
        limits,
        quotas: quotaCounters.map(({ q, c }) => quotaState(q, c.remaining)),
      };
    }
    for (const { q, c } of quotaCounters) if (q.cost > 0) this.opts.ledger.debit({ ...q, generation: c.generation }, c.periodStart, q.cost);
    return { allowed: true, limits, quotas: quotaCounters.map(({ q, c }) => quotaState(q, c.remaining - q.cost)) };
  }

  private rememberOver(l: LimitCheck, tat: { ms: number; frac: number }): void {
    if (this.overLimit.size >= MAX_REMEMBERED) this.overLimit.clear();
    this.overLimit.set(l.counter, tat);
  }

  private rememberExhausted(q: QuotaCheck, generation: number): void {
    if (this.exhausted.size >= MAX_REMEMBERED) this.exhausted.clear();
    this.exhausted.set(`${q.ownerId}|${generation}`, q.nextRefillAt);
  }

  /** Redis unreachable (or too slow): the fallback decides (fail-open), or the request is refused (fail-closed). */
  private whileDown(req: CheckRequest, err: unknown): CheckOutcome | Promise<CheckOutcome> {
    if (!this.down) {
      this.down = true;
      this.opts.log.warn(
        { err: err instanceof Error ? { message: err.message } : undefined, onRedisDown: this.opts.onRedisDown },
        this.opts.onRedisDown === 'open'
          ? 'rate limits: Redis unreachable, deciding with this node’s own counters (KEYWARD_RATELIMIT_ON_REDIS_DOWN=open)'
          : 'rate limits: Redis unreachable, refusing limited requests (KEYWARD_RATELIMIT_ON_REDIS_DOWN=closed)',
      );
    }
    if (this.opts.onRedisDown === 'closed') {
      this.stats.refusedWhileDown++;
      return Promise.reject(new KeywardError('STORE_UNAVAILABLE', 'The rate limit counters (Redis) cannot be reached; retry shortly.'));
    }
    this.stats.fallbackChecks++;
    for (const q of req.quotas) this.spentWhileDown.add(q.ownerId);
    return this.opts.fallback.check(req);
  }

  /** Spends made by the fallback went to the store only: Redis's copies of those counters are dropped and seeded again. */
  private async dropStaleQuotas(): Promise<void> {
    const owners = [...this.spentWhileDown];
    this.spentWhileDown.clear();
    await this.opts.ledger.flush().catch(() => {});
    this.opts.fallback.forgetQuotas();
    await this.opts.redis.commands.del(...owners.map((o) => `${this.opts.prefix}q:${o}`));
  }
}

const NEVER_USED = { ms: 0, frac: 0 };

/** A remembered counter's state as a refusal reports it: remaining and reset of its tat, nothing counted. */
function heldState(tat: { ms: number; frac: number }, l: LimitCheck, now: number): { remaining: number; resetMs: number } {
  // gcra of a zero-cost request leaves the tat where it is: its remaining and reset are the counter's own.
  const r = gcra(tat.ms, tat.frac, { ...l, stepMs: 0, stepFrac: 0 }, now);
  return { remaining: r.remaining, resetMs: r.resetMs };
}

function isKeywardError(e: unknown): boolean {
  return e instanceof KeywardError;
}
