/**
 * Slows password guessing: after `maxFailures` failed logins for one email within the window,
 * further attempts for that email are refused until the window has passed. In memory, per
 * node: it bounds guessing speed rather than promising a global count.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures = 5,
    private readonly windowMs = 15 * 60_000,
    private readonly maxTracked = 100_000,
  ) {}

  /** Milliseconds until another attempt is allowed, or 0 when it is allowed now. */
  retryAfter(email: string, now: number): number {
    const recent = this.recent(email, now);
    if (recent.length < this.maxFailures) return 0;
    return (recent[0] as number) + this.windowMs - now;
  }

  fail(email: string, now: number): void {
    if (this.failures.size >= this.maxTracked && !this.failures.has(email)) {
      // Bounded memory under a spray of distinct emails: forget the oldest entry.
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(email, [...this.recent(email, now), now]);
  }

  succeed(email: string): void {
    this.failures.delete(email);
  }

  private recent(email: string, now: number): number[] {
    return (this.failures.get(email) ?? []).filter((t) => t > now - this.windowMs);
  }
}
