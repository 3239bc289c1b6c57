import type { Config } from '../config.js';
import { CatalogueIndex } from '../core/catalogue.js';
import { ChangeFeed } from '../core/changes.js';
import type { Principal } from '../core/permissions.js';
import { findKeyForVerification, type KeyVerificationRecord } from '../store/repos/keys.js';
import type { Store } from '../store/store.js';
import { UsageRecorder } from './usage-recorder.js';

/** Everything a use case needs; built once per process (or per test). */
export interface Ctx {
  store: Store;
  config: Config;
  catalogue: CatalogueIndex;
  changes: ChangeFeed;
  now: () => number;
  /** How verification finds a key by its hash; a cache may wrap the store lookup. */
  keyLookup: (keyHash: string) => Promise<KeyVerificationRecord | undefined>;
  /** Buffered last-used times and usage counts (flushed in batches, and on close). */
  usage: UsageRecorder;
}

export function createContext(store: Store, config: Config, now: () => number = Date.now): Ctx {
  return {
    store,
    config,
    catalogue: new CatalogueIndex(config.catalogue),
    changes: new ChangeFeed(),
    now,
    keyLookup: (keyHash) => findKeyForVerification(store.db, keyHash),
    usage: new UsageRecorder(store, config.usageFlushIntervalMs),
  };
}

/** Who performs an operation and from where, for authorization and the audit log. */
export interface Actor {
  principal: Principal;
  ip: string | null;
}
