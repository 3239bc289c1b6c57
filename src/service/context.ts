import type { Config } from '../config.js';
import type { CatalogueIndex } from '../core/catalogue.js';
import type { ChangeFeed } from '../core/changes.js';
import type { Principal } from '../core/permissions.js';
import type { Secrets } from '../crypto/secret-box.js';
import type { Store } from '../store/store.js';
import type { UsageRecorder } from './usage-recorder.js';

/** Where use cases report operational trouble (never secrets); pino's `error(details, message)` fits. */
export interface ServiceLog {
  error(details: Record<string, unknown>, message: string): void;
}

/**
 * The sign-in throttle as a use case needs it: users changing their own password prove the
 * current one through it. The composition root hands over auth's `LoginThrottle`.
 */
export interface PasswordAttempts {
  /** Counts the attempt (RATE_LIMITED when this address must wait for this email), runs `check`, records its outcome. */
  checkPassword(email: string, address: string, clock: () => number, check: () => Promise<boolean>): Promise<boolean>;
}

/** Checks a webhook URL before it is stored (src/webhooks/target-guard.ts): WEBHOOK_URL_REFUSED when deliveries may not reach it. */
export interface WebhookUrlCheck {
  check(url: string): Promise<URL>;
}

/**
 * Everything a use case needs, built once per process (or per test) by the composition root
 * (src/compose.ts). Credentials are not a service's business: `auth/` has a context of its own.
 */
export interface Ctx {
  store: Store;
  config: Config;
  catalogue: CatalogueIndex;
  changes: ChangeFeed;
  now: () => number;
  /** Buffered last-used times and usage counts (flushed in batches, and on close). */
  usage: UsageRecorder;
  /** Seals and opens device secrets under the master key. */
  secrets: Secrets;
  log: ServiceLog;
  loginThrottle: PasswordAttempts;
  webhookUrls: WebhookUrlCheck;
}

/** Who performs an operation and from where, for authorization and the audit log. */
export interface Actor {
  principal: Principal;
  ip: string | null;
}
