/**
 * Every action the audit log records, and the type of the target it names: one closed table,
 * one naming style (`noun.verb`, both snake_case). Names are stored in `audit_events.action`
 * and returned by the audit API, so renaming one is a data change: it needs a migration that
 * rewrites stored rows (see 0005-audit-action-names).
 */
export const AUDIT_ACTIONS = {
  'account.create': 'account',
  'account.update': 'account',
  'account.set_limits': 'account',
  'user.create': 'user',
  'user.update': 'user',
  'user.delete': 'user',
  'user.sign_out_everywhere': 'user',
  'application.create': 'application',
  'application.update': 'application',
  'application.revoke': 'application',
  'key.create': 'key',
  'key.update': 'key',
  'key.set_limits': 'key',
  'key.revoke': 'key',
  'key.rotate': 'key',
  'key.delete': 'key',
  'device.create': 'device',
  'device.update': 'device',
  'device.delete': 'device',
  'device_secret.reset': 'device',
  'shared_secret.view': 'account',
  'shared_secret.reset': 'account',
  'master_key.rotate': 'master_key',
  'webhook.create': 'webhook',
  'webhook.update': 'webhook',
  'webhook.delete': 'webhook',
  'webhook.rotate_secret': 'webhook',
  'webhook.disable': 'webhook',
  'webhook.redeliver': 'webhook',
  'webhook.test': 'webhook',
  'key.leak': 'key',
  'leak_policy.update': 'account',
} as const;

export type AuditAction = keyof typeof AUDIT_ACTIONS;
export type AuditTargetType = (typeof AUDIT_ACTIONS)[AuditAction];

/** `noun.verb`, each part lower-case words joined by `_`. */
export const AUDIT_ACTION_STYLE = /^[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*$/;

export function isAuditAction(value: string): value is AuditAction {
  return Object.hasOwn(AUDIT_ACTIONS, value);
}
