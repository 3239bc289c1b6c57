import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Change, ChangeFeed } from '../core/changes.js';
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

/**
 * Relays committed changes between nodes over Redis pub/sub so every node's verification
 * cache drops what another node changed, typically within milliseconds instead of the TTL.
 * Best effort by nature: a message lost while a node is disconnected is covered only by the
 * TTL, so on reconnect the whole cache is cleared.
 */
export async function startRedisInvalidation(
  url: string,
  changes: ChangeFeed,
  cache: Invalidatable,
  onError: (error: unknown) => void = () => {},
): Promise<{ close(): Promise<void> }> {
  const node = randomBytes(8).toString('hex');
  const pub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const sub = new Redis(url, { lazyConnect: true });
  pub.on('error', onError);
  sub.on('error', onError);
  await Promise.all([pub.connect(), sub.connect()]);
  let subscribedOnce = false;
  sub.on('ready', () => {
    // A reconnect may have missed messages: nothing cached before it can be trusted.
    if (subscribedOnce) cache.clear();
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
  await sub.subscribe(INVALIDATION_CHANNEL);
  subscribedOnce = true;
  const unsubscribe = changes.subscribe((change) => {
    pub.publish(INVALIDATION_CHANNEL, JSON.stringify({ node, change } satisfies Envelope)).catch(onError);
  });
  return {
    async close() {
      unsubscribe();
      sub.disconnect();
      pub.disconnect();
    },
  };
}
