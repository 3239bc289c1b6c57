import { describe, expect, it } from 'vitest';
import { eventually, HAS_CHROMIUM, useE2E } from './support.js';

/** Issue #16 item 6: the key page (usage, last used, creator, times with the exact moment on hover, copy buttons, Rotate). */
describe.skipIf(!HAS_CHROMIUM)('dashboard: key page', () => {
  const e = useE2E();

  async function keyOf(token: string, accountId: string, name: string) {
    const app = await e.call('POST', `/v1/accounts/${accountId}/applications`, { token, body: { name: `${name} app` } });
    const key = await e.call('POST', `/v1/accounts/${accountId}/applications/${app.body.id}/keys`, {
      token,
      body: { name, scopes: ['device:read'] },
    });
    expect(key.status).toBe(201);
    return { appId: app.body.id as string, id: key.body.accessKey.id as string, key: key.body.key as string };
  }

  it('shows usage, last use, creator and exact times; copies IDs; rotates with the new secret shown once', async () => {
    const t = await e.tenant();
    const k = await keyOf(t.adminToken, t.accountId, 'Billing sync');
    for (let i = 0; i < 2; i++) expect((await e.call('POST', '/v1/keys/verify', { body: { key: k.key } })).status).toBe(200);
    await eventually(
      async () => (await e.call('GET', `/v1/accounts/${t.accountId}/keys/${k.id}`, { token: t.adminToken })).body.usageCount === 2,
    );

    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto(`/api-keys/${k.id}`);
    await page.getByRole('heading', { name: 'Billing sync', level: 1 }).waitFor();
    await page.getByTestId('uses-7d').filter({ hasText: '2' }).waitFor();
    expect(await page.getByTestId('uses-total').textContent()).toBe('2');
    expect(await page.getByTestId('uses-24h').textContent()).toBe('2');
    expect(await page.getByText('You (Ada Admin)').count()).toBe(1);
    // Relative times: the exact moment, to the second, on hover.
    const lastUsed = page.getByTestId('key-last-used').locator('time');
    expect(await lastUsed.textContent()).toBe('Just now');
    expect(await lastUsed.getAttribute('title')).toMatch(/\d{4}.*\d{2}:\d{2}:\d{2}/);
    expect(await page.getByTestId('key-created').locator('time').first().getAttribute('title')).toMatch(/\d{2}:\d{2}:\d{2}/);
    // Copy buttons beside the IDs.
    await page.getByRole('button', { name: 'Copy key ID' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(k.id);
    await page.getByTestId('toast').filter({ hasText: 'Key ID copied' }).waitFor();
    await page.getByRole('button', { name: 'Copy application ID' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(k.appId);

    // Rotate with a one-hour overlap: both keys work during it.
    await page.getByRole('button', { name: 'Rotate', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate access key' });
    await dialog.getByLabel('Old key keeps working for').selectOption({ label: '1 hour' });
    await dialog.getByLabel("New key's name").fill('Billing sync 2');
    await dialog.getByRole('button', { name: 'Rotate', exact: true }).click();
    const shown = page.getByRole('dialog', { name: 'Access key created' });
    await shown.waitFor();
    await page.getByTestId('toast').filter({ hasText: 'Access key rotated' }).waitFor();
    const secret = await shown.getByLabel('Access key').inputValue();
    expect(secret).not.toBe(k.key);
    expect((await e.call('POST', '/v1/keys/verify', { body: { key: secret } })).status).toBe(200);
    expect((await e.call('POST', '/v1/keys/verify', { body: { key: k.key } })).status).toBe(200);
    // Esc does not dismiss the secret; the button does, and leads to the new key's page.
    await page.keyboard.press('Escape');
    expect(await shown.isVisible()).toBe(true);
    await shown.getByRole('button', { name: 'I have copied my access key - Close' }).click();
    await page.getByRole('heading', { name: 'Billing sync 2', level: 1 }).waitFor();
    const old = await e.call('GET', `/v1/accounts/${t.accountId}/keys/${k.id}`, { token: t.adminToken });
    expect(old.body.expiresAt).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(old.body.expiresAt).toBeLessThanOrEqual(Date.now() + 60 * 60_000);
    // The secret is on no page after the dialog closes.
    expect(await page.content()).not.toContain(secret);

    // On a phone the key page does not scroll sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`/api-keys/${k.id}`);
    await page.getByTestId('uses-7d').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  });

  it('says why Rotate is disabled for a viewer and for the operator, and names no one the viewer may not see', async () => {
    const t = await e.tenant();
    const k = await keyOf(t.adminToken, t.accountId, 'Read only');
    const email = `viewer.${Date.now().toString(36)}@acme.test`;
    expect(
      (
        await e.call('POST', `/v1/accounts/${t.accountId}/users`, {
          token: t.adminToken,
          body: { email, name: 'Vi Viewer', password: 'viewer-password-1', permissions: ['keys.view.any', 'applications.view'] },
        })
      ).status,
    ).toBe(201);
    await e.signIn(email, 'viewer-password-1');
    const page = e.page;
    await page.goto(`/api-keys/${k.id}`);
    await page.getByRole('heading', { name: 'Read only', level: 1 }).waitFor();
    const rotate = page.getByRole('button', { name: 'Rotate', exact: true });
    expect(await rotate.isDisabled()).toBe(true);
    await page.getByText('Rotating needs both the create and revoke key permissions on this application.').waitFor();
    expect(await page.getByRole('button', { name: 'Edit', exact: true }).count()).toBe(0);
    // Without users.view the creator is an ID (with its copy button), not a name.
    await page.getByRole('button', { name: "Copy creator's user ID" }).waitFor();
    expect(await page.getByText('Ada Admin').count()).toBe(0);

    const ctx = await e.browser.newContext({ baseURL: e.url });
    const op = await ctx.newPage();
    await op.goto('/login');
    await op.getByLabel('Email').fill('operator@e2e.local');
    await op.getByLabel('Password').fill('operator-password-1');
    await op.getByRole('button', { name: 'Sign in' }).click();
    await op.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
    await op.getByLabel('Account', { exact: true }).selectOption({ value: t.accountId });
    await op.goto(`/api-keys/${k.id}`);
    await op.getByRole('heading', { name: 'Read only', level: 1 }).waitFor();
    expect(await op.getByRole('button', { name: 'Rotate', exact: true }).isDisabled()).toBe(true);
    await op.getByText('sign in as an account user to rotate keys', { exact: false }).waitFor();
    await ctx.close();
  });
});
