import { describe, expect, it } from 'vitest';
import { signedCheck } from '../../test/signing.js';
import { eventually, HAS_CHROMIUM, requireRoute, useE2E } from './support.js';

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

  it('shows the device usage, refusals, last use (exact on hover) and the hourly chart with the rejected line; the list has Last used', async (ctx) => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    await requireRoute(e, ctx, 'Device usage', { method: 'GET', path: `${base}/usage?deviceId=dev_x`, token: t.adminToken });
    const created = await e.call('POST', `${base}/devices`, { token: t.adminToken, body: { name: 'Pump 7' } });
    const id = created.body.device.id as string;
    const secret = created.body.secret as string;
    const idle = await e.call('POST', `${base}/devices`, { token: t.adminToken, body: { name: 'Idle pump' } });
    const limit = await e.call('PATCH', base, {
      token: e.operatorToken,
      body: { ratelimits: [{ name: 'devices', limit: 2, window: 'hour' }] },
    });
    expect(limit.status).toBe(200);
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) codes.push((await e.call('POST', '/v1/signatures/verify', { body: signedCheck(id, secret) })).body.code);
    expect(codes).toEqual(['VALID', 'VALID', 'RATE_LIMITED']);
    const got = await eventually(async () => {
      const d = (await e.call('GET', `${base}/devices/${id}`, { token: t.adminToken })).body;
      return d.usageCount === 2 && d.rejectedCount === 1 && d;
    });
    expect(got).toBeTruthy();

    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto(`/devices/${id}`);
    await page.getByRole('heading', { name: 'Pump 7', level: 1 }).waitFor();
    await page.getByTestId('device-uses-7d').filter({ hasText: '1 rejected' }).waitFor();
    expect(await page.getByTestId('device-uses-total').textContent()).toBe('2');
    expect(await page.getByTestId('device-rejected-total').textContent()).toBe('1 by a rate limit or quota');
    expect(await page.getByTestId('device-uses-24h').textContent()).toBe('2');
    expect(await page.getByTestId('device-uses-7d').textContent()).toBe('2 (1 rejected by a rate limit or quota)');
    const lastUsed = page.getByTestId('device-last-used').locator('time');
    expect(await lastUsed.textContent()).toBe('Just now');
    expect(await lastUsed.getAttribute('title')).toMatch(/\d{4}.*\d{2}:\d{2}:\d{2}/);
    const chart = page.getByRole('img', {
      name: 'Signed requests per device over time: 2 in total across 1 device; 1 rejected by rate limits or quotas',
    });
    await chart.waitFor();
    expect(await chart.locator('g.series-rejected').count()).toBe(1);
    await page.getByText('Rejected (rate-limited or over quota): 1').waitFor();

    // A device never used: no chart, zero counts, "Never".
    await page.goto(`/devices/${idle.body.device.id}`);
    await page.getByRole('heading', { name: 'Idle pump', level: 1 }).waitFor();
    await page.getByTestId('device-uses-total').waitFor();
    expect(await page.getByTestId('device-uses-total').textContent()).toBe('0');
    expect(await page.getByTestId('device-last-used').textContent()).toBe('Never');
    expect(await page.getByRole('img', { name: /Signed requests per device/ }).count()).toBe(0);

    await page.goto('/devices');
    const row = page.getByRole('row').filter({ hasText: 'Pump 7' });
    await row.waitFor();
    expect(await row.locator('time').textContent()).toBe('Just now');
    expect(await row.locator('time').getAttribute('title')).toMatch(/\d{2}:\d{2}:\d{2}/);
    expect(await page.getByRole('row').filter({ hasText: 'Idle pump' }).textContent()).toContain('Never');
  });
});
