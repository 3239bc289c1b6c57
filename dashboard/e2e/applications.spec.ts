import { describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, useE2E } from './support.js';

describe.skipIf(!HAS_CHROMIUM)('dashboard: applications and access keys', () => {
  const e = useE2E();

  it('creates an application from the New application form and shows it in the Applications table', async () => {
    const t = await e.tenant();
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.getByText('No applications yet').waitFor();

    await page.getByRole('button', { name: 'New', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'New application' });
    await dialog.getByLabel('Name').fill('Billing sync');
    await dialog.getByLabel('Description').fill('Nightly export to the ERP');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'detached' });

    const row = page.getByRole('row').filter({ hasText: 'Billing sync' });
    await row.waitFor();
    expect(await row.textContent()).toContain('Nightly export to the ERP');
    expect(await row.textContent()).toContain('Active');
  });

  it('edits the name and description, revokes, and lists revoked applications only on request', async () => {
    const t = await e.tenant();
    await e.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'Old name' } });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;

    await page.getByRole('button', { name: 'Edit Old name' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit application' });
    await edit.getByLabel('Name').fill('Fleet onboarding');
    await edit.getByLabel('Description').fill('Registers new trackers');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('link', { name: 'Fleet onboarding' }).waitFor();

    await page.getByRole('button', { name: 'Revoke Fleet onboarding' }).click();
    const revoke = page.getByRole('dialog', { name: 'Revoke application' });
    expect(await revoke.textContent()).toContain("API calls made using this application's access keys will be rejected");
    await revoke.getByRole('button', { name: 'Revoke application' }).click();
    await page.getByText('No applications yet').waitFor();

    await page.getByLabel('Show revoked applications').check();
    const row = page.getByRole('row').filter({ hasText: 'Fleet onboarding' });
    await row.waitFor();
    expect(await row.textContent()).toContain('Revoked');
  });

  it('creates an access key with only held scopes and an expiry, shows it once with a copy button', async () => {
    const t = await e.tenant();
    // A member who holds only device:onboarding and may manage their own applications' keys.
    const email = `member.${Date.now()}@acme.test`;
    await e.call('POST', `/v1/accounts/${t.accountId}/users`, {
      token: t.adminToken,
      body: {
        email,
        name: 'Mia Member',
        password: 'member-password-1',
        permissions: ['applications.view', 'applications.create', 'keys.view.mine', 'keys.create.mine'],
        apiScopes: ['device:onboarding'],
      },
    });
    await e.signIn(email, 'member-password-1');
    const page = e.page;
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await page.getByRole('dialog', { name: 'New application' }).getByLabel('Name').fill('Tracker integration');
    await page.getByRole('dialog', { name: 'New application' }).getByRole('button', { name: 'Create' }).click();

    await page.getByRole('link', { name: 'Tracker integration' }).click();
    await page.getByRole('heading', { name: 'Tracker integration', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Access keys' }).click();
    await page.getByText('No access keys yet').waitFor();
    await page.getByRole('button', { name: 'New', exact: true }).click();

    const form = page.getByRole('dialog', { name: 'New access key' });
    await form.getByLabel('Name', { exact: true }).fill('Production');
    // Only what the member holds is offered.
    const boxes = await form.getByRole('checkbox').evaluateAll((els) => els.map((el) => (el as HTMLInputElement).id));
    expect(boxes.filter((id) => !id.startsWith('scope-keyward:'))).toEqual(['scope-device:onboarding']);
    await expect(form.getByLabel('Device: Downlinks').count()).resolves.toBe(0);
    await form.getByLabel('Device: Onboarding').check();
    await form.getByLabel('Expires on').fill('2099-12-31');
    await form.getByRole('button', { name: 'Create' }).click();

    const created = page.getByRole('dialog', { name: 'Access key created' });
    await created.waitFor();
    const key = await created.getByLabel('Access key').inputValue();
    expect(key).toMatch(/^kw_/);
    // Esc must not dismiss the only view of the key.
    await page.keyboard.press('Escape');
    expect(await created.isVisible()).toBe(true);
    await created.getByRole('button', { name: 'Copy', exact: true }).click();
    await created.getByRole('button', { name: 'Copied', exact: true }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await created.getByRole('button', { name: 'I have copied my access key - Close' }).click();
    await created.waitFor({ state: 'detached' });

    const row = page.getByRole('row').filter({ hasText: 'Production' });
    await row.waitFor();
    // Scopes read as the catalogue describes them; the name callers use is in the chip's title.
    expect(await row.textContent()).toContain('Device: Onboarding');
    expect(await row.getByRole('listitem').first().getAttribute('title')).toBe('device:onboarding');
    expect(await row.textContent()).toContain('31 Dec 2099');
    // The key is never displayed again.
    expect(await page.content()).not.toContain(key);
    const verified = await e.call('POST', '/v1/keys/verify', { body: { key, scopes: ['device:onboarding'] } });
    expect(verified.body.valid).toBe(true);
  });

  it('disables New with the reason when the application limit is reached, and shows the API error code past it', async () => {
    const t = await e.tenant();
    await e.call('PATCH', `/v1/accounts/${t.accountId}`, { token: e.operatorToken, body: { maxApplications: 2 } });
    await e.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'First' } });
    await e.signIn(t.adminEmail, t.adminPassword);
    const newButton = e.page.getByRole('button', { name: 'New', exact: true });
    await newButton.click();
    const dialog = e.page.getByRole('dialog', { name: 'New application' });
    await dialog.getByLabel('Name').fill('Second');
    // Filled in another tab meanwhile: the server refuses, in plain words with its code.
    await e.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'Elsewhere' } });
    await dialog.getByRole('button', { name: 'Create' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('APPLICATION_LIMIT_REACHED');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await e.page.reload();
    await e.page.getByRole('link', { name: 'Elsewhere' }).waitFor();
    expect(await newButton.isDisabled()).toBe(true);
    expect(await newButton.getAttribute('aria-describedby')).toBeTruthy();
    await e.page.getByText('2 of 2 active applications: revoke one to create another.').waitFor();
  });

  it("shows the application's Summary, edits an access key's name and revokes the key", async () => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    const app = await e.call('POST', `${base}/applications`, {
      token: t.adminToken,
      body: { name: 'Telemetry', description: 'Reads meters' },
    });
    const k = await e.call('POST', `${base}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: { name: 'Reader', scopes: ['device:full-access'] },
    });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.getByRole('link', { name: 'Telemetry' }).click();
    const summary = page.getByRole('region', { name: 'Summary' });
    await summary.waitFor();
    expect(await summary.textContent()).toContain(app.body.id);
    expect(await summary.textContent()).toContain('Reads meters');

    await page.getByRole('link', { name: 'Access keys' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Reader' });
    await row.waitFor();
    // Roles are shown as granted, not as the scopes they expand to.
    expect(await row.getByRole('listitem').allTextContents()).toEqual(['Device: Full Access']);
    await page.getByRole('button', { name: 'Edit Reader' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit access key' });
    await edit.getByLabel('Name', { exact: true }).fill('Meter reader');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Revoke Meter reader' }).click();
    const revoke = page.getByRole('dialog', { name: 'Revoke access key' });
    await revoke.getByRole('button', { name: 'Revoke access key' }).click();
    await page.getByText('No access keys yet').waitFor();
    expect((await e.call('POST', '/v1/keys/verify', { body: { key: k.body.key } })).body.code).toBe('REVOKED');
  });
});
