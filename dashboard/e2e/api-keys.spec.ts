import { describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, useE2E } from './support.js';

describe.skipIf(!HAS_CHROMIUM)('dashboard: API Keys view (Administration)', () => {
  const e = useE2E();

  it('lists the account’s keys with their type and application, filters by type, hides revoked ones by default', async () => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    const app = await e.call('POST', `${base}/applications`, { token: t.adminToken, body: { name: 'Gateway' } });
    const k1 = await e.call('POST', `${base}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: { name: 'Onboarding key', scopes: ['device:onboarding'] },
    });
    const k2 = await e.call('POST', `${base}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: { name: 'Old key', scopes: ['device:read'] },
    });
    await e.call('POST', `${base}/keys/${k2.body.accessKey.id}/revoke`, { token: t.adminToken });

    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API Keys' }).click();
    await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Onboarding key' });
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain('Application');
    expect(text).toContain(app.body.id);
    expect(text).toContain(k1.body.accessKey.start);
    expect(await page.getByRole('row').filter({ hasText: 'Old key' }).count()).toBe(0);

    await page.getByLabel('Show revoked keys').check();
    await page.getByRole('row').filter({ hasText: 'Old key' }).waitFor();

    await page.getByRole('button', { name: 'Customer keys' }).click();
    await page.getByText('No API keys').waitFor();
    await page.getByRole('button', { name: 'Application keys' }).click();
    await row.waitFor();
  });
});
