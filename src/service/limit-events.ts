import type { CheckOutcome, CheckRequest, KeyLimits, PlanDef, QuotaCheck, QuotaSpec } from '../core/ratelimit.js';
import type { DeviceRef, KeyEventData } from '../core/webhook-events.js';
import { findDeviceName } from '../store/repos/devices.js';
import { insertNotice } from '../store/repos/key-notices.js';
import type { KeyVerificationRecord } from '../store/repos/keys.js';
import type { Db } from '../store/store.js';
import type { Ctx } from './context.js';
import { emit, keyEventData } from './events.js';

/** Who a decision was for: a key, or a device of the account (then `key` is null in the events). */
interface Subject {
  accountId: string;
  /** What `ratelimit.exceeded` is remembered per (with the limit and window): a key, or the account's devices. */
  rateSubject: string;
  keyQuota: QuotaSpec | null;
  account: { quota: QuotaSpec | null; plan: string | null };
  who: (tx: Db) => Who | Promise<Who>;
}

type Who = { key: KeyEventData | null; device: DeviceRef | null };

/** Notices remembered locally at most; past it, those whose window is over go first. */
const MAX_REMEMBERED = 10_000;

/**
 * The lifecycle events limit decisions raise (docs/webhooks.md): `ratelimit.exceeded` at most
 * once per key (for signed device requests: per account), limit and window, and `usage.threshold`
 * when a quota period's spends reach 80 % and 100 % of its credits. Each is emitted once across the whole fleet: the event is written in
 * the same transaction as a `key_notices` row whose primary key names it, so only the node whose
 * insert lands emits it. Locally remembered notices cost no database call on the next refusals of
 * the same window, so a flood of refused requests costs one write per window, not one per request.
 * The request path only looks: the writes run in the background and a failure is logged.
 */
export class LimitEvents {
  private readonly remembered = new Map<string, number>();

  constructor(
    private readonly ctx: Ctx,
    private readonly plans: ReadonlyMap<string, PlanDef>,
  ) {}

  observe(record: KeyVerificationRecord, req: CheckRequest, outcome: CheckOutcome): void {
    if (outcome.allowed && outcome.quotas.length === 0) return; // nothing to raise: no allocation on the usual path
    const { now } = req;
    this.observeFor(
      {
        accountId: record.key.accountId,
        rateSubject: record.key.id,
        keyQuota: record.key.quota,
        account: record.account,
        who: () => ({ key: keyEventData(record.key, now), device: null }),
      },
      req,
      outcome,
    );
  }

  /**
   * A signed device request decided against its account's limits (src/service/limits.ts
   * DeviceLimits): `ratelimit.exceeded` at most once per account, limit and window for all of the
   * account's devices together, naming the first device refused; `usage.threshold` once per quota
   * period, whoever (key or device) spends it. The device's name is read when the event is written.
   */
  observeDevice(deviceId: string, limits: KeyLimits, req: CheckRequest, outcome: CheckOutcome): void {
    if (outcome.allowed && outcome.quotas.length === 0) return;
    this.observeFor(
      {
        accountId: limits.accountId,
        rateSubject: `device@${limits.accountId}`,
        keyQuota: null,
        account: limits.account,
        who: async (tx) => ({ key: null, device: { id: deviceId, name: (await findDeviceName(tx, deviceId)) ?? null } }),
      },
      req,
      outcome,
    );
  }

  private observeFor(s: Subject, req: CheckRequest, outcome: CheckOutcome): void {
    const { now } = req;
    if (!outcome.allowed && outcome.code === 'RATE_LIMITED') {
      outcome.limits.forEach((state, i) => {
        const check = req.limits[i];
        if (check === undefined || state.remaining >= check.cost) return;
        const windowMs = state.windowSeconds * 1000;
        const windowStart = Math.floor(now / windowMs) * windowMs;
        this.once(
          `${s.rateSubject}:${check.owner}:${check.name}`,
          'ratelimit.exceeded',
          windowStart,
          windowStart + windowMs,
          s.accountId,
          async (tx) => ({
            ...(await s.who(tx)),
            accountId: s.accountId,
            limit: state.limit,
            windowSeconds: state.windowSeconds,
            windowStart,
          }),
        );
      });
    }
    outcome.quotas.forEach((state, i) => {
      const q = req.quotas[i];
      if (q === undefined) return;
      const total = this.creditsOf(s, q);
      if (total === undefined || total <= 0) return;
      // Refused for want of credits: the customer is stopped, which is what 100 % means to them.
      const exhausted = !outcome.allowed && outcome.code === 'USAGE_EXCEEDED' && state.remaining < q.cost;
      const used = Math.min(total, Math.max(0, total - state.remaining));
      const percent = exhausted || state.remaining < 1 ? 100 : used >= total * 0.8 ? 80 : null;
      if (percent === null) return;
      const until = Number.isFinite(q.nextRefillAt) ? q.nextRefillAt : Number.POSITIVE_INFINITY;
      // 80 % first when the spend jumped straight past it to 100 %: both are promised.
      for (const p of percent === 100 ? ([80, 100] as const) : ([80] as const)) {
        this.once(`${q.ownerId}:g${q.generation}`, 'usage.threshold', q.periodStart * 1000 + p, until, s.accountId, async (tx) => ({
          ...(await s.who(tx)),
          accountId: s.accountId,
          quota: q.owner,
          percent: p,
          used,
          limit: total,
        }));
      }
    });
  }

  /** The credits a quota period grants: the refill amount when it refills, else the credits set. */
  private creditsOf(s: Subject, q: QuotaCheck): number | undefined {
    const spec =
      q.owner === 'key' ? s.keyQuota : (s.account.quota ?? (s.account.plan !== null ? this.plans.get(s.account.plan)?.quota : undefined));
    if (!spec) return undefined;
    return spec.refill?.amount ?? spec.credits;
  }

  private once<T extends 'ratelimit.exceeded' | 'usage.threshold'>(
    subject: string,
    type: T,
    threshold: number,
    forgetAt: number,
    accountId: string,
    data: (tx: Db) => Promise<Parameters<typeof emit<T>>[4]>,
  ): void {
    const memo = `${subject}|${type}|${threshold}`;
    if (this.remembered.has(memo)) return;
    if (this.remembered.size >= MAX_REMEMBERED) this.prune();
    this.remembered.set(memo, forgetAt);
    const { ctx } = this;
    ctx.store
      .transaction(async (tx) => {
        if (await insertNotice(tx, subject, type, threshold, ctx.now())) await emit(ctx, tx, type, accountId, await data(tx));
      })
      .catch((err: unknown) => {
        // Not remembered, so the next refusal tries again.
        this.remembered.delete(memo);
        ctx.log.error({ err: { message: err instanceof Error ? err.message : String(err) }, event: type }, 'limit event not recorded');
      });
  }

  private prune(): void {
    const now = this.ctx.now();
    for (const [memo, until] of this.remembered) if (until <= now) this.remembered.delete(memo);
    if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear();
  }
}
