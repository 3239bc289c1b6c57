import type { CheckOutcome, CheckRequest, PlanDef, QuotaCheck } from '../core/ratelimit.js';
import { insertNotice } from '../store/repos/key-notices.js';
import type { KeyVerificationRecord } from '../store/repos/keys.js';
import type { Ctx } from './context.js';
import { emit, keyEventData } from './events.js';

/** Notices remembered locally at most; past it, those whose window is over go first. */
const MAX_REMEMBERED = 10_000;

/**
 * The lifecycle events limit decisions raise (docs/webhooks.md): `ratelimit.exceeded` at most
 * once per key, limit and window, and `usage.threshold` when a quota period's spends reach 80 %
 * and 100 % of its credits. Each is emitted once across the whole fleet: the event is written in
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
    const { now } = req;
    if (!outcome.allowed && outcome.code === 'RATE_LIMITED') {
      outcome.limits.forEach((state, i) => {
        const check = req.limits[i];
        if (check === undefined || state.remaining >= check.cost) return;
        const windowMs = state.windowSeconds * 1000;
        const windowStart = Math.floor(now / windowMs) * windowMs;
        this.once(`${record.key.id}:${check.owner}:${check.name}`, 'ratelimit.exceeded', windowStart, windowStart + windowMs, () => ({
          key: keyEventData(record.key, now),
          accountId: record.key.accountId,
          limit: state.limit,
          windowSeconds: state.windowSeconds,
          windowStart,
        }));
      });
    }
    outcome.quotas.forEach((state, i) => {
      const q = req.quotas[i];
      if (q === undefined) return;
      const total = this.creditsOf(record, q);
      if (total === undefined || total <= 0) return;
      // Refused for want of credits: the customer is stopped, which is what 100 % means to them.
      const exhausted = !outcome.allowed && outcome.code === 'USAGE_EXCEEDED' && state.remaining < q.cost;
      const used = Math.min(total, Math.max(0, total - state.remaining));
      const percent = exhausted || state.remaining < 1 ? 100 : used >= total * 0.8 ? 80 : null;
      if (percent === null) return;
      const until = Number.isFinite(q.nextRefillAt) ? q.nextRefillAt : Number.POSITIVE_INFINITY;
      // 80 % first when the spend jumped straight past it to 100 %: both are promised.
      for (const p of percent === 100 ? ([80, 100] as const) : ([80] as const)) {
        this.once(`${q.ownerId}:g${q.generation}`, 'usage.threshold', q.periodStart * 1000 + p, until, () => ({
          key: keyEventData(record.key, now),
          accountId: record.key.accountId,
          quota: q.owner,
          percent: p,
          used,
          limit: total,
        }));
      }
    });
  }

  /** The credits a quota period grants: the refill amount when it refills, else the credits set. */
  private creditsOf(record: KeyVerificationRecord, q: QuotaCheck): number | undefined {
    const spec =
      q.owner === 'key'
        ? record.key.quota
        : (record.account.quota ?? (record.account.plan !== null ? this.plans.get(record.account.plan)?.quota : undefined));
    if (!spec) return undefined;
    return spec.refill?.amount ?? spec.credits;
  }

  private once<T extends 'ratelimit.exceeded' | 'usage.threshold'>(
    subject: string,
    type: T,
    threshold: number,
    forgetAt: number,
    data: () => Parameters<typeof emit<T>>[4],
  ): void {
    const memo = `${subject}|${type}|${threshold}`;
    if (this.remembered.has(memo)) return;
    if (this.remembered.size >= MAX_REMEMBERED) this.prune();
    this.remembered.set(memo, forgetAt);
    const { ctx } = this;
    const body = data();
    ctx.store
      .transaction(async (tx) => {
        if (await insertNotice(tx, subject, type, threshold, ctx.now())) await emit(ctx, tx, type, body.accountId, body);
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
