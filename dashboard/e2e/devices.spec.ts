import { describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, requireRoute, useE2E } from './support.js';

/** Catenis: devices get their own secret by default; the shared one only when asked to. */
describe.skipIf(!HAS_CHROMIUM)('dashboard: devices', () => {
  const e = useE2E();

  it('creates a device with its own secret by default, shows the secret once, and the detail says so', async (ctx) => {
    const t = await e.tenant();
    await requireRoute(e, ctx, 'Devices', { method: 'GET', path: `/v1/accounts/${t.accountId}/devices`, token: t.adminToken });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await page.getByText('No devices yet').waitFor();
    await page.getByRole('button', { name: 'New device' }).click();
    const form = page.getByRole('dialog', { name: 'New device' });
    await form.getByLabel('Name').fill('Tracker 001');
    expect(await form.getByLabel('Assign shared API access secret').isChecked()).toBe(false);
    await form.getByRole('button', { name: 'Create' }).click();

    const shown = page.getByRole('dialog', { name: 'Device created' });
    const secret = await shown.getByLabel('API access secret').inputValue();
    expect(secret.length).toBeGreaterThan(10);
    await shown.getByRole('button', { name: /I have copied/ }).click();

    await page.getByRole('heading', { name: 'Tracker 001', level: 1 }).waitFor();
    await page.getByText('Own API access secret').waitFor();
    expect(await page.content()).not.toContain(secret);
  });

  it('creates a device that uses the shared secret when the box is checked', async (ctx) => {
    const t = await e.tenant();
    await requireRoute(e, ctx, 'Devices', { method: 'GET', path: `/v1/accounts/${t.accountId}/devices`, token: t.adminToken });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto('/devices');
    await page.getByRole('button', { name: 'New device' }).click();
    const form = page.getByRole('dialog', { name: 'New device' });
    await form.getByLabel('Name').fill('Shared meter');
    await form.getByLabel('Assign shared API access secret').check();
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Shared meter', level: 1 }).waitFor();
    await page.getByText('Shared API access secret', { exact: true }).waitFor();

    await page.getByRole('link', { name: 'Devices' }).first().click();
    const row = page.getByRole('row').filter({ hasText: 'Shared meter' });
    await row.waitFor();
    expect(await row.textContent()).toContain('Shared API access secret');
  });

  it('resets a device secret: a new own secret is shown once; or the device switches to the shared secret', async (ctx) => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    await requireRoute(e, ctx, 'Devices', { method: 'GET', path: `${base}/devices`, token: t.adminToken });
    const created = await e.call('POST', `${base}/devices`, { token: t.adminToken, body: { name: 'Gate sensor' } });
    const first = created.body.secret as string;
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto(`/devices/${created.body.device.id}`);
    await page.getByRole('heading', { name: 'Gate sensor', level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Reset device secret' }).click();
    let dialog = page.getByRole('dialog', { name: 'Reset device secret' });
    await dialog.getByRole('button', { name: 'Reset secret' }).click();
    const shown = page.getByRole('dialog', { name: 'New device secret' });
    const second = await shown.getByLabel('API access secret').inputValue();
    expect(second).not.toBe(first);
    await shown.getByRole('button', { name: /I have copied/ }).click();
    await page.getByText('Own API access secret').waitFor();

    await page.getByRole('button', { name: 'Reset device secret' }).click();
    dialog = page.getByRole('dialog', { name: 'Reset device secret' });
    await dialog.getByLabel('Assign shared API access secret').check();
    await dialog.getByRole('button', { name: 'Reset secret' }).click();
    await page.getByText('The device now uses the shared API access secret.').waitFor();
    await page.getByText('Shared API access secret', { exact: true }).waitFor();
    const after = await e.call('GET', `${base}/devices/${created.body.device.id}`, { token: t.adminToken });
    expect(after.body.secretSource).toBe('shared');
  });
});
