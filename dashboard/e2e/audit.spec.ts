import { describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, useE2E } from './support.js';

describe.skipIf(!HAS_CHROMIUM)('dashboard: audit log', () => {
  const e = useE2E();

  it('lists who did what, newest first', async () => {
    const t = await e.tenant();
    const app = await e.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'Audited' } });
    await e.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/revoke`, { token: t.adminToken });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    const rows = page.getByRole('row').filter({ hasText: app.body.id });
    await rows.first().waitFor();
    const texts = await rows.allTextContents();
    expect(texts[0]).toContain('application.revoke');
    expect(texts[1]).toContain('application.create');
    expect(texts[0]).toContain('Ada Admin');
  });
});
