import { randomBytes } from 'node:crypto';
import type { Change, ChangeFeed } from '../core/changes.js';
import type { RedisLogger, SharedRedis } from './redis.js';

/** Anything holding state derived from the store: the key and device caches. */
export interface Invalidatable {
  invalidate(change: Change): void;
  clear(): void;
}

export const INVALIDATION_CHANNEL = 'keyward:changes';

interface Envelope {
  node: string;
  change: Change;
}

export interface InvalidationRelay {
  /** Subscribed right now: other nodes' changes reach this node's caches within milliseconds. */
  readonly listening: boolean;
  /** Settles on the first subscription or the first failure, whichever comes first. */
  readonly firstAttempt: Promise<void>;
  close(): Promise<void>;
}

/**
 * Relays committed changes between nodes over Redis pub/sub so every node's verification
 * cache drops what another node changed, typically within milliseconds instead of the TTL.
 * Best effort by nature: while this node is not subscribed (Redis down at start, or a
 * dropped connection) other nodes' changes reach it only through the TTL, so each time the
 * subscription is (re)established every cache is cleared, after the subscription is
 * confirmed so that no change falls between the two.
 */
export function startRedisInvalidation(redis: SharedRedis, changes: ChangeFeed, cache: Invalidatable, log: RedisLogger): InvalidationRelay {
  const node = randomBytes(8).toString('hex');
  const sub = redis.subscriber();
  let listening = false;
  let down = false;
  let settle: () => void = () => {};
  const firstAttempt = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const failed = (err: unknown) => {
    listening = false;
    settle();
    if (down) return;
    down = true;
    log.warn(
      { err },
      'cache invalidation relay down: changes made on other nodes reach this node only through the cache TTL until Redis is back',
    );
  };
  sub.on('error', failed);
  sub.on('close', () => {
    listening = false;
  });
  sub.on('ready', () => {
    sub.subscribe(INVALIDATION_CHANNEL).then(
      () => {
        cache.clear();
        listening = true;
        settle();
        if (down) log.info({}, 'cache invalidation relay subscribed again; caches cleared');
        down = false;
      },
      (err: unknown) => {
        failed(err);
        // Still connected but not subscribed: only a new connection brings 'ready' (and a retry) again.
        if (sub.status === 'ready') sub.disconnect(true);
      },
    );
  });
  sub.on('message', (_channel: string, raw: string) => {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(raw) as Envelope;
    } catch {
      return;
    }
    if (envelope.node !== node && envelope.change && typeof envelope.change.type === 'string') cache.invalidate(envelope.change);
  });
  const unsubscribe = changes.subscribe((change) => {
    redis.commands.publish(INVALIDATION_CHANNEL, JSON.stringify({ node, change } satisfies Envelope)).catch((err: unknown) => {
      log.warn({ err, change: change.type }, 'change not relayed to other nodes: they see it within the cache TTL');
    });
  });
  return {
    get listening() {
      return listening;
    },
    firstAttempt,
    async close() {
      unsubscribe();
      sub.disconnect();
    },
  };
}
