/**
 * A histogram with fixed upper bounds, filled by hand: `observe` is a short loop over a
 * Float64Array and two additions, cheap enough for the verification hot path. It is read
 * (never reset) when metrics are scraped, in Prometheus' cumulative form (src/metrics/).
 */
export class FixedHistogram {
  /** Observations per bucket, not cumulative; the last slot is `+Inf`. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  /** `bounds`: upper bounds in ascending order, in the unit observed (seconds for durations). */
  constructor(readonly bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) {
      if (!((bounds[i] as number) > (bounds[i - 1] as number))) throw new Error('histogram bounds must ascend');
    }
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

/** Durations of in-process work that normally takes well under a millisecond (verification). */
export const FAST_SECONDS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** Durations of database statements and round trips. */
export const STORE_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
