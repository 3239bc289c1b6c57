import type { WebhookConfig } from '../config.js';
import { countEndpointOutcome, disableEndpoint, finishDelivery } from '../store/repos/webhooks.js';
import { audit } from './audit.js';
import type { Ctx } from './context.js';
import { emit } from './events.js';

/** The delay before attempt `attempts + 1`: doubling from the base, capped, with ±20 % jitter so retries of many deliveries spread out. */
export function retryDelay(attempts: number, cfg: Pick<WebhookConfig, 'retryBaseMs' | 'retryMaxDelayMs'>, random = Math.random): number {
  const exp = Math.min(cfg.retryBaseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30), cfg.retryMaxDelayMs);
  return Math.round(exp * (0.8 + 0.4 * random()));
}

export interface AttemptOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/**
 * Records one attempt of a claimed delivery: delivered; or due again after the backoff; or
 * failed once the next try would fall past `maxAgeMs` after the delivery was created. Counts it
 * against the endpoint, which is disabled after `disableAfterFailures` failures in a row (with
 * an endpoint.disabled event to the account's other endpoints and the operator's, and an audit
 * event). Nothing changes when this claim's lease was taken over by another node.
 */
export async function recordAttempt(
  ctx: Ctx,
  d: {
    id: string;
    leaseId: string;
    attempts: number;
    createdAt: number;
    endpointId: string;
    endpointAccountId: string | null;
    url: string;
  },
  outcome: AttemptOutcome,
): Promise<void> {
  const cfg = ctx.config.webhooks;
  const now = ctx.now();
  const next = now + retryDelay(d.attempts, cfg);
  const status = outcome.ok ? 'delivered' : next > d.createdAt + cfg.maxAgeMs ? 'failed' : 'pending';
  await ctx.store.transaction(async (tx) => {
    const mine = await finishDelivery(tx, d.id, d.leaseId, {
      status,
      at: now,
      nextAttemptAt: status === 'pending' ? next : now,
      statusCode: outcome.statusCode,
      error: outcome.error,
    });
    if (!mine) return;
    const failures = await countEndpointOutcome(tx, d.endpointId, outcome.ok);
    if (outcome.ok || failures < cfg.disableAfterFailures) return;
    const reason = `${failures} failed attempts in a row`;
    if (!(await disableEndpoint(tx, d.endpointId, reason, now))) return;
    await audit(ctx, tx, null, { accountId: d.endpointAccountId, action: 'webhook.disable', targetId: d.endpointId, details: { reason } });
    await emit(ctx, tx, 'endpoint.disabled', d.endpointAccountId, {
      endpoint: { id: d.endpointId, accountId: d.endpointAccountId, url: d.url },
      consecutiveFailures: failures,
    });
  });
}
