import { randomBytes } from 'node:crypto';
import type { Change, ChangeFeed } from '../core/changes.js';
import { FixedHistogram, STORE_SECONDS } from '../core/histogram.js';
import { summarizeError } from '../store/guarded-dialect.js';
import type { MessageBus } from '../store/store.js';

/** Anything holding state derived from the store: the key and device caches. */
export interface Invalidatable {
  invalidate(change: Change): void;
  /** The relay is listening (again): whatever is held may have missed changes. */
  clear(): void;
  /** The relay is not listening: other nodes' changes do not reach this node until `clear`. */
  relayDown?(): void;
}

export interface RelayLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface InvalidationRelay {
  /** What carries the changes: `redis`, `postgres` (LISTEN/NOTIFY) or `sqlite` (the file's change log). */
  readonly kind: string;
  /** Listening right now: other nodes' changes reach this node's caches within milliseconds. */
  readonly listening: boolean;
  /** Settles on the first subscription or the first failure, whichever comes first. */
  readonly firstAttempt: Promise<void>;
  /** What the relay carried, for metrics. */
  readonly stats: RelayStats;
  close(): Promise<void>;
}

export interface RelayStats {
  /** Changes received from other nodes and applied to this node's caches. */
  received: number;
  /** Changes this node failed to publish (the other nodes see them within their cache TTL). */
  publishFailures: number;
  /**
   * Seconds from another node publishing a change to this node applying it, by the two nodes'
   * clocks (so clock skew between machines shows in it; negative values count as 0).
   */
  readonly lag: FixedHistogram;
}

interface Envelope {
  node: string;
  change: Change;
  /** When the change was published (epoch ms, the sender's clock); absent from older nodes. */
  at?: number;
}

/** The relay carrying a context's changes, for whoever reports its state (/readyz). */
const relays = new WeakMap<ChangeFeed, InvalidationRelay>();

/** `up` / `down` for the relay carrying these changes, `off` when there is none (one node, or caches off). */
export function relayState(changes: ChangeFeed): 'up' | 'down' | 'off' {
  const relay = relays.get(changes);
  if (relay === undefined) return 'off';
  return relay.listening ? 'up' : 'down';
}

/**
 * Relays committed changes between nodes over a message bus, so every node's caches drop what
 * another node changed, typically within milliseconds instead of the TTL. Each change goes out
 * as `{node, change}` after its commit; a node ignores its own. Best effort by nature: while
 * this node is not listening (at start, or after a lost connection) other nodes' changes do not
 * reach it, so the caches are told (`relayDown`: they shorten their TTL), and each time the bus
 * is listening again every cache is cleared, after the bus confirmed it, so that no change
 * falls between the two. The outage is logged once when it starts and once when it ends.
 */
export function startBusRelay(
  bus: MessageBus,
  changes: ChangeFeed,
  cache: Invalidatable,
  log: RelayLogger,
  opts: { downNote: string },
): InvalidationRelay {
  const node = randomBytes(8).toString('hex');
  let listening = false;
  let down = false;
  let closed = false;
  let settle: () => void = () => {};
  const firstAttempt = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const stats: RelayStats = { received: 0, publishFailures: 0, lag: new FixedHistogram(STORE_SECONDS) };
  cache.relayDown?.();
  bus.listen({
    up() {
      if (closed) return;
      cache.clear();
      listening = true;
      settle();
      if (down) log.info({ relay: bus.kind }, 'cache invalidation relay subscribed again; caches cleared, normal cache TTL restored');
      down = false;
    },
    down(err) {
      if (closed) return;
      if (listening) cache.relayDown?.();
      listening = false;
      settle();
      if (down) return;
      down = true;
      log.warn({ err: summarize(err), relay: bus.kind }, `cache invalidation relay down (${bus.kind}): ${opts.downNote}`);
    },
    message(raw) {
      let envelope: Envelope;
      try {
        envelope = JSON.parse(raw) as Envelope;
      } catch {
        return;
      }
      if (envelope?.node === node || typeof envelope?.change?.type !== 'string') return;
      cache.invalidate(envelope.change);
      stats.received++;
      if (typeof envelope.at === 'number') stats.lag.observe(Math.max(0, Date.now() - envelope.at) / 1000);
    },
  });
  const unsubscribe = changes.subscribe((change) => {
    bus.publish(JSON.stringify({ node, change, at: Date.now() } satisfies Envelope)).catch((err: unknown) => {
      stats.publishFailures++;
      log.warn(
        { err: summarize(err), change: change.type, relay: bus.kind },
        'change not relayed to other nodes: they see it within their cache TTL',
      );
    });
  });
  const relay: InvalidationRelay = {
    kind: bus.kind,
    get listening() {
      return listening;
    },
    firstAttempt,
    stats,
    async close() {
      closed = true;
      listening = false;
      unsubscribe();
      relays.delete(changes);
      await bus.close();
    },
  };
  relays.set(changes, relay);
  return relay;
}

/** What a log line may say about a bus error: message and code, never a client object or payload. */
const summarize = (error: unknown) => (error === undefined ? undefined : summarizeError(error));
