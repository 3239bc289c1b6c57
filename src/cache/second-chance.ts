/** A cache entry that remembers whether it was read since eviction last passed over it. */
export interface SecondChance {
  used: boolean;
}

/**
 * The entry to evict from a Map kept in insertion order, by the second-chance (CLOCK) rule:
 * the oldest entry not read since it was last passed over. Entries read meanwhile lose their
 * mark and move to the back. A hit only sets `used`; it never deletes and re-inserts. That
 * matters: V8's ordered hash tables keep deleted slots in their bucket chains until the next
 * rehash, so re-inserting one hot key on every hit makes each lookup of it walk a chain of its
 * own deleted copies, costing time that grows with the cache's size (about 0.2 ms per hit with
 * 100k entries). Amortized O(1): every entry is moved at most once per full pass.
 */
export function secondChanceVictim<K, V extends SecondChance>(entries: Map<K, V>): K | undefined {
  for (const [key, entry] of entries) {
    if (!entry.used) return key;
    entry.used = false;
    entries.delete(key);
    entries.set(key, entry);
  }
  return undefined;
}
