/**
 * Every event a webhook endpoint can subscribe to, and whether Keyward emits it yet. The names
 * are stable API (stored in `webhook_events.type` and endpoints' subscriptions), so renaming one
 * is a data change. `usage.threshold` and `ratelimit.exceeded` come from limit decisions
 * (src/service/limit-events.ts), the others from the changes they name.
 */
export const WEBHOOK_EVENT_TYPES = [
  'key.created',
  'key.revoked',
  'key.rotated',
  'key.expiring',
  'key.expired',
  'key.leaked',
  'application.revoked',
  'device.secret_reset',
  'shared_secret.reset',
  'user.deleted',
  'usage.threshold',
  'ratelimit.exceeded',
  'endpoint.disabled',
  'webhook.test',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** What a key event says of the key: never its secret or hash, only what a key listing shows. */
export interface KeyEventData {
  id: string;
  accountId: string;
  applicationId: string | null;
  kind: 'application' | 'customer';
  name: string;
  /** The display prefix (`kw_` + 6 characters) a listing shows, to tell keys apart. */
  start: string;
  scopes: string[];
  status: 'active' | 'revoked' | 'expired';
  expiresAt: number | null;
}

/** A device named by a limit event: its id, and its name when the event was written (null if deleted by then). */
export interface DeviceRef {
  id: string;
  name: string | null;
}

/** The `data` of each event type (the body is `{type, timestamp, data}`, Standard Webhooks' suggested shape). */
export interface WebhookEventData {
  'key.created': { key: KeyEventData; actorId: string | null };
  'key.revoked': { key: KeyEventData; actorId: string | null; reason: 'revoked' | 'leaked' | 'rotated' };
  'key.rotated': { key: KeyEventData; previous: KeyEventData; overlapSeconds: number; actorId: string | null };
  'key.expiring': { key: KeyEventData; expiresAt: number; thresholdSeconds: number };
  'key.expired': { key: KeyEventData; expiredAt: number };
  'key.leaked': {
    key: KeyEventData;
    source: string;
    url: string | null;
    /**
     * What the account's leak policy did: `revoke`; `rotate` (the key keeps working until
     * `key.expiresAt`, the end of the policy's overlap, for its owner to rotate it); `notify`
     * (nothing); `none` when the key was already revoked or expired.
     */
    policy: 'revoke' | 'rotate' | 'notify' | 'none';
  };
  'application.revoked': { application: { id: string; accountId: string; name: string }; actorId: string | null };
  'device.secret_reset': {
    device: { id: string; accountId: string; name: string; secretSource: 'own' | 'shared' };
    actorId: string | null;
  };
  'shared_secret.reset': { accountId: string; resetAllDevices: boolean; devicesReset: number; actorId: string | null };
  'user.deleted': { user: { id: string; accountId: string | null }; actorId: string | null };
  /** `key`: the key whose request crossed the threshold, else null and `device` names the signed device request's device. */
  'usage.threshold': {
    key: KeyEventData | null;
    device: DeviceRef | null;
    accountId: string;
    quota: string;
    percent: 80 | 100;
    used: number;
    limit: number;
  };
  /** A key refused (`key`), or a device's signed request refused by its account's limit (`key` null, `device`). */
  'ratelimit.exceeded': {
    key: KeyEventData | null;
    device: DeviceRef | null;
    accountId: string;
    limit: number;
    windowSeconds: number;
    windowStart: number;
  };
  'endpoint.disabled': { endpoint: { id: string; accountId: string | null; url: string }; consecutiveFailures: number };
  'webhook.test': { endpointId: string; message: string };
}

/** The event types nothing emits yet: none since limit decisions raise their two (kept for future types). */
export const RESERVED_EVENT_TYPES: readonly WebhookEventType[] = [];
