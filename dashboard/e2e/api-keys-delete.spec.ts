import { describe, expect, it } from 'vitest';
import { eventually, HAS_CHROMIUM, requireRoute, useE2E } from './support.js';

/** Senet: customer keys, and deleting a key by typing its application ID or the customer ID back. */
describe.skipIf(!HAS_CHROMIUM)('dashboard: customer keys and deleting API keys', () => {
  const e = useE2E();

  it('creates a customer key offering only customer scopes, shown once', async (ctx) => {
    const t = await e.tenant();
    await requireRoute(e, ctx, 'Customer keys', {
      method: 'POST',
      path: `/v1/accounts/${t.accountId}/keys`,
      token: t.adminToken,
      body: {},
    });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto('/api-keys');
    await page.getByRole('button', { name: 'New customer key' }).click();
    const form = page.getByRole('dialog', { name: 'New customer key' });
    await form.getByLabel('Name', { exact: true }).fill('Billing export');
    expect(await form.getByLabel('Device: Onboarding').count()).toBe(0);
    await form.getByLabel('Billing Access').check();
    await form.getByRole('button', { name: 'Create' }).click();
    const created = page.getByRole('dialog', { name: 'Access key created' });
    const key = await created.getByLabel('Access key').inputValue();
    expect(key).toMatch(/^kw_/);
    await created.getByRole('button', { name: 'I have copied my access key - Close' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Billing export' });
    await row.waitFor();
    expect(await row.textContent()).toContain('Customer');
    expect(await row.textContent()).toContain('Billing Access');
  });

  it('deletes an application key only after its application ID is typed back', async (ctx) => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    await requireRoute(e, ctx, 'Deleting keys', {
      method: 'DELETE',
      path: `${base}/keys/key_doesnotexist`,
      token: t.adminToken,
      body: { confirm: 'x' },
    });
    const app = await e.call('POST', `${base}/applications`, { token: t.adminToken, body: { name: 'Gateway' } });
    const k = await e.call('POST', `${base}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: { name: 'Unused key', scopes: ['device:read'] },
    });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto('/api-keys');
    await page.getByRole('button', { name: 'Delete Unused key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete API key' });
    const confirm = dialog.getByLabel(/Enter the key's Application ID/);
    const del = dialog.getByRole('button', { name: 'Delete', exact: true });
    expect(await del.isDisabled()).toBe(true);
    await confirm.fill('app_wrong');
    expect(await del.isDisabled()).toBe(true);
    // Never used, so no extra confirmation.
    expect(await dialog.getByText('used within the past 3 days').count()).toBe(0);
    await confirm.fill(app.body.id);
    await del.click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('row').filter({ hasText: 'Unused key' }).waitFor({ state: 'detached' });
    expect((await e.call('POST', '/v1/keys/verify', { body: { key: k.body.key } })).body.valid).toBe(false);
  });

  it('asks for one more confirmation when the key was used within the past 3 days', async (ctx) => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    await requireRoute(e, ctx, 'Customer keys', { method: 'POST', path: `${base}/keys`, token: t.adminToken, body: {} });
    await requireRoute(e, ctx, 'Deleting keys', {
      method: 'DELETE',
      path: `${base}/keys/key_doesnotexist`,
      token: t.adminToken,
      body: { confirm: 'x' },
    });
    const k = await e.call('POST', `${base}/keys`, {
      token: t.adminToken,
      body: { kind: 'customer', name: 'Busy key', scopes: ['billing:access'] },
    });
    expect(k.status).toBe(201);
    await e.call('POST', '/v1/keys/verify', { body: { key: k.body.key } });
    const lastUsed = await eventually(
      async () => (await e.call('GET', `${base}/keys/${k.body.accessKey.id}`, { token: t.adminToken })).body.lastUsedAt,
    );
    if (!lastUsed) {
      ctx.skip('lastUsedAt is not recorded by verification on this build; skipped until usage tracking is merged');
    }

    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto('/api-keys');
    await page.getByRole('button', { name: 'Delete Busy key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete API key' });
    await dialog.getByLabel(/Enter the key's Customer ID/).fill(t.customerId);
    const del = dialog.getByRole('button', { name: 'Delete', exact: true });
    await dialog.getByText('This key was used within the past 3 days').waitFor();
    expect(await del.isDisabled()).toBe(true);
    await dialog.getByLabel(/I understand that this key is in use/).check();
    await del.click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('row').filter({ hasText: 'Busy key' }).waitFor({ state: 'detached' });
  });

  it('handles RECENT_USE_CONFIRMATION_REQUIRED when the key was used after the table loaded', async (ctx) => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    await requireRoute(e, ctx, 'Deleting keys', {
      method: 'DELETE',
      path: `${base}/keys/key_doesnotexist`,
      token: t.adminToken,
      body: { confirm: 'x' },
    });
    const app = await e.call('POST', `${base}/applications`, { token: t.adminToken, body: { name: 'Gateway' } });
    const k = await e.call('POST', `${base}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: { name: 'Quiet key', scopes: ['device:read'] },
    });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto('/api-keys');
    await page.getByRole('button', { name: 'Delete Quiet key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete API key' });
    await dialog.getByLabel(/Enter the key's Application ID/).fill(app.body.id);
    // A caller uses the key while the dialog is open.
    await e.call('POST', '/v1/keys/verify', { body: { key: k.body.key } });
    const used = await eventually(
      async () => (await e.call('GET', `${base}/keys/${k.body.accessKey.id}`, { token: t.adminToken })).body.lastUsedAt,
    );
    if (!used) {
      ctx.skip('lastUsedAt is not recorded by verification on this build; skipped until usage tracking is merged');
    }
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    const alert = dialog.getByRole('alert').filter({ hasText: 'RECENT_USE_CONFIRMATION_REQUIRED' });
    await alert.waitFor();
    // Plain words for a person, not the API's hint for callers ("send confirmRecentUse: true").
    expect(await alert.textContent()).toContain('Tick the confirmation below');
    expect(await alert.textContent()).not.toContain('confirmRecentUse');
    await dialog.getByLabel(/I understand that this key is in use/).check();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('disables New customer key with the reason at the account’s key limit, and enables it again after a delete', async () => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    await e.call('PATCH', base, { token: e.operatorToken, body: { maxKeysPerApplication: 2 } });
    const made = [];
    for (const name of ['Billing one', 'Billing two']) {
      const k = await e.call('POST', `${base}/keys`, { token: t.adminToken, body: { kind: 'customer', name, scopes: ['billing:access'] } });
      expect(k.status).toBe(201);
      made.push(k.body.accessKey);
    }
    // Application keys do not count towards the customer keys' limit.
    const app = await e.call('POST', `${base}/applications`, { token: t.adminToken, body: { name: 'Gateway' } });
    await e.call('POST', `${base}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: { name: 'App key', scopes: ['device:read'] },
    });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto('/api-keys');
    const newButton = page.getByRole('button', { name: 'New customer key' });
    await page.getByText('2 of 2 active customer keys: delete one to create another.').waitFor();
    expect(await newButton.isDisabled()).toBe(true);
    expect(await newButton.getAttribute('aria-describedby')).toBeTruthy();
    const row = page.getByRole('row').filter({ hasText: 'Billing two' });
    await row.getByRole('button', { name: 'Delete Billing two' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete API key' });
    await dialog.getByLabel(/Enter the key's Customer ID/).fill(t.customerId);
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await eventually(async () => !(await newButton.isDisabled()));
    expect(await newButton.isDisabled()).toBe(false);
    expect(await page.getByText('active customer keys: delete one').count()).toBe(0);
  });
});
