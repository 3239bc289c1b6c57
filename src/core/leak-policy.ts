/**
 * What happens to a key reported as leaked (POST /v1/leaks), per account: `revoke` (the
 * default) stops it at once; `rotate` issues a successor with the same access and lets the
 * leaked key live `overlapSeconds` more, so callers can switch; `notify` changes nothing and
 * only sends key.leaked. Every outcome is audited and sent as a key.leaked event.
 */
export const LEAK_ACTIONS = ['revoke', 'rotate', 'notify'] as const;
export type LeakAction = (typeof LEAK_ACTIONS)[number];

export interface LeakPolicy {
  mode: LeakAction;
  overlapSeconds: number;
}

export const DEFAULT_LEAK_POLICY: LeakPolicy = { mode: 'revoke', overlapSeconds: 0 };
