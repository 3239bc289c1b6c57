import type { Kysely } from 'kysely';

/**
 * Audit actions follow one naming style, `noun.verb` (src/core/audit-actions.ts): the one
 * name that did not, `device.secret.reset`, becomes `device_secret.reset` in stored events
 * too, so the audit log never holds two names for one action.
 */
const RENAMED: Record<string, string> = { 'device.secret.reset': 'device_secret.reset' };

// Migrations are frozen in time, so they take an untyped Kysely rather than today's schema types.
export async function up(db: Kysely<any>): Promise<void> {
  for (const [from, to] of Object.entries(RENAMED)) {
    await db.updateTable('audit_events').set({ action: to }).where('action', '=', from).execute();
  }
}
