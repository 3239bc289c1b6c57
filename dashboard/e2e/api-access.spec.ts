import { describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, requireRoute, useE2E } from './support.js';

/** Catenis' API ACCESS page: show and reset the shared API access secret. */
describe.skipIf(!HAS_CHROMIUM)('dashboard: API ACCESS', () => {
  const e = useE2E();

  it('shows the shared secret, refuses a reset without the exact confirmation, then resets it for all devices', async (ctx) => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    await requireRoute(e, ctx, 'Shared API access secret', { method: 'GET', path: `${base}/shared-secret`, token: t.adminToken });
    const device = await e.call('POST', `${base}/devices`, { token: t.adminToken, body: { name: 'Own-secret device' } });
    expect(device.body.device.secretSource).toBe('own');

    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API ACCESS' }).click();
    await page.getByRole('heading', { name: 'API ACCESS', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Shared API access secret' }).click();
    let modal = page.getByRole('dialog', { name: 'Shared API access secret' });
    const before = await modal.getByLabel('Shared API access secret').inputValue();
    expect(before.length).toBeGreaterThan(10);

    await modal.getByRole('button', { name: 'Reset API access secret' }).click();
    const reset = page.getByRole('dialog', { name: 'Reset API access secret' });
    await reset.getByLabel(/Type “Yes, I do confirm it”/).fill('yes');
    await reset.getByRole('button', { name: 'Confirm' }).click();
    await reset.getByRole('alert').filter({ hasText: 'CONFIRMATION_REQUIRED' }).waitFor();

    await reset.getByLabel(/Type “Yes, I do confirm it”/).fill('Yes, I do confirm it');
    await reset.getByLabel('Use new shared API access secret to reset the API access secret for all devices').check();
    await reset.getByRole('button', { name: 'Confirm' }).click();
    await reset.waitFor({ state: 'detached' });
    await page.getByText(/1 device now use the new shared API access secret/).waitFor();

    // As the seed says: check the new secret by clicking the button again.
    await page.getByRole('button', { name: 'Shared API access secret' }).click();
    modal = page.getByRole('dialog', { name: 'Shared API access secret' });
    const afterSecret = await modal.getByLabel('Shared API access secret').inputValue();
    expect(afterSecret).not.toBe(before);
    await page.keyboard.press('Escape');
    await modal.waitFor({ state: 'detached' });

    const d = await e.call('GET', `${base}/devices/${device.body.device.id}`, { token: t.adminToken });
    expect(d.body.secretSource).toBe('shared');
  });
});
