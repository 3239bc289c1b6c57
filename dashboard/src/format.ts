const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium' });

export const formatTime = (ms: number | null | undefined) => (ms == null ? '—' : dateTime.format(new Date(ms)));
export const formatDate = (ms: number | null | undefined) => (ms == null ? '—' : dateOnly.format(new Date(ms)));

export function relative(ms: number | null | undefined, now = Date.now()): string {
  if (ms == null) return 'Never';
  const s = Math.round((now - ms) / 1000);
  if (s < 60) return 'Just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} days ago`;
}

export const THREE_DAYS_MS = 3 * 24 * 3600 * 1000;
export const usedRecently = (lastUsedAt: number | null, now = Date.now()) => lastUsedAt !== null && now - lastUsedAt < THREE_DAYS_MS;

/** Human labels for management permissions (Pelion's permission names). */
export function permissionLabel(p: string): string {
  const [area, action, whose] = p.split('.');
  if (area === 'applications') {
    return (
      { view: 'View applications', create: 'Create application', edit: 'Edit application', revoke: 'Revoke application' }[action ?? ''] ?? p
    );
  }
  if (area === 'keys') {
    const verb = { view: 'View', create: 'Create', edit: 'Edit', revoke: 'Revoke' }[action ?? ''] ?? action;
    return `${verb} access keys for ${whose === 'any' ? 'any application' : 'my applications'}`;
  }
  if (p === 'users.view') return 'View users';
  if (p === 'devices.view') return 'View devices';
  if (p === 'devices.manage') return 'Manage devices and their secrets';
  if (p === 'webhooks.view') return 'View webhooks';
  if (p === 'webhooks.manage') return 'Manage webhooks';
  return p;
}
