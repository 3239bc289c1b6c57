import type { Change, ChangeFeed } from '../core/changes.js';
import type { Store } from '../store/store.js';
import { type Invalidatable, type InvalidationRelay, type RelayLogger, startBusRelay } from './bus-relay.js';
import type { SharedRedis } from './redis.js';
import { redisBus } from './redis-invalidation.js';

/** A cache the relay keeps in step: the verification and device caches. */
export interface RelayedCache {
  invalidate(change: Change): void;
  clear(): void;
  setTtlBound(ms: number | undefined): void;
}

/** How long a start waits for the relay to listen before serving without it (it keeps retrying after). */
const RELAY_START_WAIT_MS = 2000;

/**
 * Starts the cache invalidation relay between the nodes sharing this store: over Redis pub/sub
 * when KEYWARD_REDIS_URL is set, else over the database itself (PostgreSQL LISTEN/NOTIFY, a
 * SQLite file's change log). None for an in-memory SQLite store (no other node can share it)
 * or when the caches are off. While the relay is not listening, every cache entry lives at most
 * `relayDownTtlMs`, so what another node changed is seen within that bound rather than the
 * normal TTL; once it listens again the caches are cleared and the normal TTL applies.
 * Waits at most RELAY_START_WAIT_MS for the first subscription, so that a reachable relay
 * carries changes from the first request on, and a down one does not hold up the start.
 */
export async function startRelay(opts: {
  store: Store;
  redis: SharedRedis | undefined;
  changes: ChangeFeed;
  caches: RelayedCache[];
  relayDownTtlMs: number;
  log: RelayLogger;
}): Promise<InvalidationRelay | undefined> {
  const { caches, relayDownTtlMs } = opts;
  if (caches.length === 0) return undefined;
  const bus = opts.redis ? redisBus(opts.redis) : opts.store.messageBus?.();
  if (bus === undefined) return undefined;
  const target: Invalidatable = {
    invalidate: (change) => {
      for (const c of caches) c.invalidate(change);
    },
    clear: () => {
      for (const c of caches) {
        c.setTtlBound(undefined);
        c.clear();
      }
    },
    relayDown: () => {
      for (const c of caches) c.setTtlBound(relayDownTtlMs);
    },
  };
  const relay = startBusRelay(bus, opts.changes, target, opts.log, {
    downNote: `until it is back, cache entries live at most ${relayDownTtlMs} ms (KEYWARD_RELAY_DOWN_TTL_MS), so changes made on other nodes reach this node within that bound`,
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([relay.firstAttempt, new Promise((resolve) => (timer = setTimeout(resolve, RELAY_START_WAIT_MS)))]);
  clearTimeout(timer);
  return relay;
}
