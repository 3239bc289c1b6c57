import { signWebhook } from '../core/webhook-signature.js';
import { secretAad } from '../crypto/secret-box.js';
import type { Ctx } from '../service/context.js';
import { scanKeyExpiry } from '../service/key-expiry.js';
import { recordAttempt } from '../service/webhook-attempts.js';
import { type ClaimedDelivery, claimDeliveries } from '../store/repos/webhooks.js';
import type { StoreLogger } from '../store/store.js';
import { type Attempt, postWebhook } from './post.js';
import type { TargetGuard } from './target-guard.js';

/**
 * Delivers the outbox (docs/webhooks.md), on every serving node: every `pollMs` it claims due
 * deliveries (claimDeliveries: FOR UPDATE SKIP LOCKED on PostgreSQL, one atomic UPDATE on
 * SQLite, with a lease), POSTs each, signed, and records the outcome; every `scanIntervalMs` it
 * runs the expiry scan. At least once: a node killed mid-delivery leaves the lease to run out,
 * and any node retries with the same webhook-id.
 */
export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastScan = Number.NEGATIVE_INFINITY;
  private failing = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly guard: TargetGuard,
    private readonly log: StoreLogger,
  ) {}

  start(): void {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.loop().finally(() => {
        this.running = undefined;
      });
    }, ms);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    let again = false;
    try {
      const now = this.ctx.now();
      if (now - this.lastScan >= this.ctx.config.webhooks.scanIntervalMs) {
        this.lastScan = now;
        await scanKeyExpiry(this.ctx);
      }
      again = (await this.tick()) >= this.ctx.config.webhooks.batch;
      if (this.failing) this.log.info({}, 'webhook dispatcher: the store answers again');
      this.failing = false;
    } catch (err) {
      // Said once per outage, not on every poll.
      if (!this.failing)
        this.log.warn(
          { err: { message: err instanceof Error ? err.message : String(err) } },
          'webhook dispatcher: cannot reach the store; retrying',
        );
      this.failing = true;
    }
    this.schedule(again ? 0 : this.ctx.config.webhooks.pollMs);
  }

  /** Claims one batch and delivers it; returns how many were claimed. */
  async tick(): Promise<number> {
    const cfg = this.ctx.config.webhooks;
    const claimed = await claimDeliveries(this.ctx.store, { now: this.ctx.now(), leaseMs: cfg.leaseMs, limit: cfg.batch });
    await Promise.all(claimed.map((d) => this.deliver(d)));
    return claimed.length;
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const cfg = this.ctx.config.webhooks;
    let attempt: Attempt;
    let secret: string | undefined;
    try {
      secret = this.ctx.secrets.open(d.sealedSecret, secretAad.webhook(d.endpointId));
    } catch {
      secret = undefined;
    }
    if (secret === undefined) {
      attempt = { ok: false, statusCode: null, error: 'the signing secret cannot be opened with the loaded master key' };
    } else {
      const timestamp = Math.floor(this.ctx.now() / 1000);
      attempt = await postWebhook(
        this.guard,
        d.url,
        {
          'webhook-id': d.eventId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(secret, d.eventId, timestamp, d.payload),
        },
        d.payload,
        { timeoutMs: cfg.timeoutMs, maxResponseBytes: cfg.maxResponseBytes },
      );
    }
    await recordAttempt(this.ctx, d, attempt);
  }

  /** Stops claiming; waits for the batch in flight (each attempt is bounded by the timeout). */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
