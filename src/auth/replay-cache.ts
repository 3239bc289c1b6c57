/**
 * Remembers accepted (device, signature) pairs until their timestamp leaves the window,
 * so a captured request cannot be played again. An interface so a shared (Redis) store can
 * replace the in-memory one when several nodes verify.
 */
export interface ReplayGuard {
  /** Records the pair; false when it was already recorded and has not expired. */
  claim(deviceId: string, signature: string, expiresAt: number, now: number): Promise<boolean>;
}

/** In-process guard, bounded: expired pairs are pruned and the oldest are dropped beyond `maxEntries`. */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly entries = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  get size(): number {
    return this.entries.size;
  }

  async claim(deviceId: string, signature: string, expiresAt: number, now: number): Promise<boolean> {
    const k = `${deviceId}/${signature}`;
    const existing = this.entries.get(k);
    if (existing !== undefined && existing > now) return false;
    this.entries.delete(k);
    this.prune(now);
    this.entries.set(k, expiresAt);
    return true;
  }

  /**
   * Entries arrive roughly in expiry order, so dropping from the front until the first live
   * entry is cheap and keeps memory flat. When still full, the oldest go first: they are the
   * closest to expiring anyway.
   */
  private prune(now: number): void {
    for (const [k, exp] of this.entries) {
      if (exp > now && this.entries.size < this.maxEntries) break;
      this.entries.delete(k);
    }
  }
}
