import { describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, useE2E } from './support.js';

/** Issue #16 items 5 and 11: errors next to their fields, browser-side length limits, scope display. */
describe.skipIf(!HAS_CHROMIUM)('dashboard: form feedback and scope display', () => {
  const e = useE2E();

  it("puts the API's validation errors next to their fields, in plain words, and limits lengths in the browser", async () => {
    const t = await e.tenant();
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    // The API's own limits, checked by the browser as the user types.
    expect(await dialog.getByLabel('Name').getAttribute('maxlength')).toBe('100');
    expect(await dialog.getByLabel('Email').getAttribute('maxlength')).toBe('254');
    expect(await dialog.getByLabel('Initial password').getAttribute('minlength')).toBe('10');
    expect(await dialog.getByLabel('Initial password').getAttribute('maxlength')).toBe('200');
    // Human labels for the device permissions.
    await dialog.getByLabel('View devices').waitFor();
    await dialog.getByLabel('Manage devices and their secrets').waitFor();

    await dialog.getByLabel('Name').fill('Bob Builder');
    // The browser accepts "bob@acme" as an email address; the API does not.
    await dialog.getByLabel('Email').fill('bob@acme');
    await dialog.getByLabel('Initial password').fill('bob-password-1');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    const email = dialog.getByLabel('Email');
    await dialog.getByText('Enter an email address, like name@example.com.').waitFor();
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    expect(await email.getAttribute('aria-describedby')).toContain('user-email-error');
    const alert = dialog.getByRole('alert');
    expect(await alert.textContent()).toContain('Some fields need attention');
    expect(await dialog.textContent()).not.toContain('body.email');
    // Typing clears the field's message.
    await email.fill('bob@acme.test');
    expect(await email.getAttribute('aria-invalid')).toBeNull();
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('shows scopes as the catalogue names them, on one line, with "+N more"', async () => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    const app = await e.call('POST', `${base}/applications`, { token: t.adminToken, body: { name: 'Gateway' } });
    const scopes = ['device:downlinks', 'device:fuota', 'device:onboarding', 'device:read'];
    await e.call('POST', `${base}/applications/${app.body.id}/keys`, { token: t.adminToken, body: { name: 'Many scopes', scopes } });
    await e.call('POST', `${base}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: { name: 'One scope', scopes: ['device:read'] },
    });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto(`/applications/${app.body.id}/keys`);
    const many = page.getByRole('row').filter({ hasText: 'Many scopes' });
    const one = page.getByRole('row').filter({ hasText: 'One scope' });
    await many.waitFor();
    const chips = many.getByRole('list', { name: 'Scopes' });
    expect(await chips.getByRole('listitem').allTextContents()).toEqual(['Device: Downlinks', '+3 more']);
    expect(await chips.getByRole('listitem').first().getAttribute('title')).toBe('device:downlinks');
    // The row is no taller than a one-scope row: the chips stay on one line.
    const [manyBox, oneBox] = [await many.boundingBox(), await one.boundingBox()];
    expect(manyBox?.height).toBeLessThanOrEqual((oneBox?.height ?? 0) + 2);
    await chips.getByRole('button', { name: 'Show 3 more scopes' }).click();
    expect(await chips.getByRole('listitem').allTextContents()).toEqual([
      'Device: Downlinks',
      'Device: FUOTA',
      'Device: Onboarding',
      'Device: Read Access',
    ]);
  });

  it('a revoked application\'s keys tab says it is revoked, not "No access keys yet"', async () => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    const empty = await e.call('POST', `${base}/applications`, { token: t.adminToken, body: { name: 'Never used' } });
    const app = await e.call('POST', `${base}/applications`, { token: t.adminToken, body: { name: 'Old sync' } });
    await e.call('POST', `${base}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: { name: 'Old key', scopes: ['device:read'] },
    });
    for (const a of [empty, app]) await e.call('POST', `${base}/applications/${a.body.id}/revoke`, { token: t.adminToken });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto(`/applications/${empty.body.id}/keys`);
    await page.getByRole('heading', { name: 'This application is revoked' }).waitFor();
    expect(await page.getByText('No access keys yet').count()).toBe(0);
    await page.goto(`/applications/${app.body.id}/keys`);
    await page.getByRole('row').filter({ hasText: 'Old key' }).waitFor();
    await page.getByText('This application is revoked: its access keys no longer work').waitFor();
    expect(await page.getByRole('button', { name: 'New', exact: true }).count()).toBe(0);
  });
});
