import { type FlushLogger as LedgerLogger, PeriodicFlush } from '../core/periodic-flush.js';
import { type QuotaCheck, refilled } from '../core/ratelimit.js';
import { applyQuotaDebits, type QuotaDebit, readQuotaCounter } from '../store/repos/quotas.js';
import type { Store } from '../store/store.js';

export type { FlushLogger as LedgerLogger } from '../core/periodic-flush.js';

/**
 * Durable quota spends. Every credit an engine lets through is a debit here, written in one
 * transaction per flush (KEYWARD_USAGE_FLUSH_MS, 1 s by default) and on close: a kill -9 loses
 * at most the spends of the last interval, which the quota then grants again. A failed flush
 * keeps its debits for the next one. Seeds for engines come from the stored counter minus this
 * process's debits not yet written, so one process never grants a credit twice.
 */
export class QuotaLedger {
  private pending = new Map<string, QuotaDebit>();
  private readonly flusher: PeriodicFlush;
  private readonly flushed = new Set<() => void>();

  constructor(
    private readonly store: Store,
    intervalMs = 1000,
  ) {
    this.flusher = new PeriodicFlush(() => this.write(), intervalMs, {
      failed: 'quota flush failed: spends kept in memory and retried every interval',
      recovered: 'quota flush succeeded again',
      backlog: () => ({ pending: this.pending.size }),
    });
  }

  debit(q: QuotaCheck, periodStart: number, spent: number): void {
    const id = `${q.ownerId}|${q.generation}|${periodStart}`;
    const d = this.pending.get(id);
    if (d) d.spent += spent;
    else
      this.pending.set(id, {
        ownerId: q.ownerId,
        generation: q.generation,
        periodStart,
        refillAmount: q.refill?.amount ?? null,
        spent,
      });
  }

  /** Spends not yet written for this counter's generation and period. */
  unwritten(ownerId: string, generation: number, periodStart: number): number {
    return this.pending.get(`${ownerId}|${generation}|${periodStart}`)?.spent ?? 0;
  }

  /**
   * What a counter holds now, as far as this process knows: the stored counter, refilled if a
   * period began since, minus unwritten spends. No stored counter: nothing to spend.
   */
  async seed(q: QuotaCheck): Promise<{ generation: number; remaining: number; periodStart: number }> {
    const stored = await readQuotaCounter(this.store.db, q.ownerId);
    if (!stored) return { generation: q.generation, remaining: 0, periodStart: q.periodStart };
    const now = refilled(stored, q);
    return {
      generation: stored.generation,
      periodStart: now.periodStart,
      remaining: Math.max(0, now.remaining - this.unwritten(q.ownerId, stored.generation, now.periodStart)),
    };
  }

  /** Called after every successful flush (an engine re-reading counters other nodes spend from). */
  onFlushed(listener: () => void): void {
    this.flushed.add(listener);
  }

  flush(): Promise<void> {
    return this.flusher.run();
  }

  start(log?: LedgerLogger): void {
    this.flusher.start(log);
  }

  async close(): Promise<void> {
    await this.flusher.stop();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.store.transaction((tx) => applyQuotaDebits(tx, [...batch.values()]));
    } catch (e) {
      for (const [id, d] of batch) {
        const into = this.pending.get(id);
        if (into) into.spent += d.spent;
        else this.pending.set(id, d);
      }
      throw e;
    }
    for (const listener of this.flushed) listener();
  }
}
