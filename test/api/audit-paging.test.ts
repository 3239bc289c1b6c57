import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { encodeCursor } from '../../src/http/cursor.js';
import { insertAuditEvent } from '../../src/store/repos/audit.js';
import { createHarness, DIALECTS, type Harness } from '../harness.js';

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`audit paging [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    const page = (accountId: string, token: string, query: string) => h.call('GET', `/v1/accounts/${accountId}/audit?${query}`, { token });

    // Regression (issue 10, item 15): paging on created_at alone skipped every event that shared
    // the last event's millisecond, so a burst in one millisecond showed only its first page.
    it('pages through events that share one millisecond: each exactly once, newest first', async () => {
      const t = await h.tenant();
      const at = Date.now() + 60_000; // after the tenant's own setup events
      const ids: string[] = [];
      for (let i = 0; i < 23; i++) {
        const id = newId('audit');
        ids.push(id);
        await insertAuditEvent(h.kw.ctx.store.db, {
          id,
          accountId: t.accountId,
          actorId: t.adminId,
          action: 'key.update',
          targetType: 'key',
          targetId: `n${i}`,
          ip: null,
          createdAt: at,
          details: {},
        });
      }
      const seen: { id: string; createdAt: number }[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 20; pages++) {
        const r = await page(t.accountId, t.adminToken, `limit=5${cursor ? `&cursor=${cursor}` : ''}`);
        expect(r.status).toBe(200);
        expect(r.body.events.length).toBeLessThanOrEqual(5);
        seen.push(...r.body.events);
        cursor = r.body.nextCursor;
        if (cursor === null) break;
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      }
      expect(cursor).toBeNull();
      const burst = seen.filter((e) => e.createdAt === at).map((e) => e.id);
      expect(burst).toHaveLength(23);
      expect(new Set(burst).size).toBe(23);
      expect(new Set(burst)).toEqual(new Set(ids));
      // Nothing repeated across pages, and the order never goes forward in time.
      expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!.createdAt).toBeLessThanOrEqual(seen[i - 1]!.createdAt);
      // The tenant's own events (account and admin creation, sign-in) follow the burst.
      expect(seen.length).toBeGreaterThan(23);
    });

    it('the last page has no cursor, even when it is exactly full', async () => {
      const t = await h.tenant();
      const all = await page(t.accountId, t.adminToken, 'limit=500');
      const n = all.body.events.length;
      expect(n).toBeGreaterThan(0);
      expect(all.body.nextCursor).toBeNull();
      const exact = await page(t.accountId, t.adminToken, `limit=${n}`);
      expect(exact.body.events).toHaveLength(n);
      expect(exact.body.nextCursor).toBeNull();
    });

    it('refuses a cursor it did not hand out with 400 VALIDATION_FAILED', async () => {
      const t = await h.tenant();
      const b64 = (s: string) => Buffer.from(s).toString('base64url');
      for (const bad of ['garbage!', b64('abc:evt_x'), b64('12:'), b64(`12:evt_x'--`), b64('12:evt\u0000x'), 'A'.repeat(200), '']) {
        const r = await page(t.accountId, t.adminToken, `cursor=${encodeURIComponent(bad)}`);
        expect(r.status, bad).toBe(400);
        expect(r.body.error.code).toBe('VALIDATION_FAILED');
      }
      const ok = await page(t.accountId, t.adminToken, `cursor=${encodeCursor({ createdAt: 1, id: 'evt_x' })}`);
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ events: [], nextCursor: null });
    });
  });
}
