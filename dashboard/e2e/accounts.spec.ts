import { describe, expect, it } from 'vitest';
import { signedCheck } from '../../test/signing.js';
import { eventually, HAS_CHROMIUM, useE2E } from './support.js';

/** Issue #16 item 1: the operator's Accounts page. */
describe.skipIf(!HAS_CHROMIUM)('dashboard: Accounts (operator)', () => {
  const e = useE2E();

  it("lists every account with its use, creates one with its first admin, and edits an account's limits", async () => {
    const t = await e.tenant('Globex Metering');
    const app = await e.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'Globex app' } });
    const key = await e.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: { name: 'Globex key', scopes: ['device:read'] },
    });
    expect(key.status).toBe(201);
    for (let i = 0; i < 2; i++) expect((await e.call('POST', '/v1/keys/verify', { body: { key: key.body.key } })).status).toBe(200);

    await e.signIn('operator@e2e.local', 'operator-password-1');
    const page = e.page;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor();
    const row = page.getByTestId(`account-${t.customerId}`);
    await row.waitFor();
    expect(await row.getByTestId('applications').textContent()).toBe('1 of 10');
    expect(await row.getByTestId('keys').textContent()).toBe('1');
    expect(await row.getByTestId('users').textContent()).toBe('1');
    expect(await row.getByTestId('uses').textContent()).toBe('2');
    // Relative times carry the exact time on hover.
    expect(await row.locator('time').first().getAttribute('title')).toMatch(/\d{2}:\d{2}:\d{2}/);
    // The customer ID has a copy button.
    await row.getByRole('button', { name: 'Copy customer ID' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(t.customerId);

    // New account: the browser checks the form first, with the reason next to the field.
    await page.getByRole('button', { name: 'New account' }).click();
    const dialog = page.getByRole('dialog', { name: 'New account' });
    await dialog.getByLabel('Account name').fill('Initech Sensors');
    await dialog.getByLabel('Customer ID').fill('x');
    await dialog.getByLabel('Admin name').fill('Ida Initech');
    const email = `ida.${Date.now().toString(36)}@initech.test`;
    await dialog.getByLabel('Admin email').fill(email);
    await dialog.getByLabel('Initial password').fill('short');
    await dialog.getByRole('button', { name: 'Create account' }).click();
    await dialog.getByText('Too short: the password needs at least 10 characters.').waitFor();
    await dialog.getByText('Letters, digits and dashes, 3 to 40 characters', { exact: false }).first().waitFor();
    expect(await dialog.getByLabel('Initial password').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByLabel('Customer ID').fill('');
    await dialog.getByLabel('Initial password').fill('initech-password-1');
    await dialog.getByRole('button', { name: 'Create account' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('toast').filter({ hasText: 'Account Initech Sensors created' }).waitFor();
    await page.getByRole('cell', { name: 'Initech Sensors', exact: true }).waitFor();
    // The switcher knows it at once, and its admin can sign in.
    expect(await page.getByLabel('Account', { exact: true }).locator('option').allTextContents()).toContainEqual(
      expect.stringContaining('Initech Sensors'),
    );
    expect((await e.call('POST', '/v1/auth/login', { body: { email, password: 'initech-password-1' } })).status).toBe(200);

    // Edit limits: the application limit and a rate limit, checked in the browser, saved, shown.
    await page.getByRole('button', { name: 'Edit limits of Globex Metering' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit account limits' });
    await edit.getByLabel('Applications', { exact: true }).fill('20000');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.getByText('A whole number from 0 to 10,000.').waitFor();
    await edit.getByLabel('Applications', { exact: true }).fill('3');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    await page.getByTestId('toast').filter({ hasText: 'Account limits saved' }).waitFor();
    await row.getByTestId('applications').filter({ hasText: '1 of 3' }).waitFor();
    const after = await e.call('GET', `/v1/accounts/${t.accountId}`, { token: e.operatorToken });
    expect(after.body.maxApplications).toBe(3);

    // Open switches to the account.
    await row.getByRole('button', { name: 'Open Globex Metering' }).click();
    await page.getByRole('link', { name: 'Globex app' }).waitFor();

    // On a phone the page itself does not scroll sideways (the table scrolls in its box).
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/accounts');
    await page.getByTestId(`account-${t.customerId}`).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  });

  it('is the operator’s alone: an account admin has no Accounts link and gets the no-access page', async () => {
    const t = await e.tenant();
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).count()).toBe(0);
    await page.goto('/accounts');
    await page.getByRole('heading', { name: 'No access to Accounts', level: 1 }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
  });

  it('picks the plan from the catalogue (GET /v1/plans) with its limits in words, or None; a plan dropped from the file stays shown', async () => {
    const t = await e.tenant();
    await e.signIn('operator@e2e.local', 'operator-password-1');
    const page = e.page;
    await page.goto('/accounts');
    await page.getByRole('button', { name: `Edit limits of ${t.name}` }).click();
    const edit = page.getByRole('dialog', { name: 'Edit account limits' });
    const plan = edit.getByLabel('Plan');
    expect(await plan.evaluate((el) => el.tagName)).toBe('SELECT');
    await plan.locator('option', { hasText: 'pro' }).waitFor({ state: 'attached' });
    expect(await plan.locator('option').allTextContents()).toEqual([
      'None',
      'starter (Starter): default 10 per s; 1,000 credits, refilled to 1,000 monthly',
      'pro (Pro): default 100 per s (burst 200)',
    ]);
    expect(await plan.inputValue()).toBe('');
    expect(await edit.getByTestId('plan-hint').textContent()).toContain('No plan');
    await plan.selectOption('starter');
    expect(await edit.getByTestId('plan-hint').textContent()).toContain(
      'starter: default 10 per s; 1,000 credits, refilled to 1,000 monthly.',
    );
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    await page.getByTestId('toast').filter({ hasText: 'Account limits saved' }).waitFor();
    await page.getByTestId(`account-${t.customerId}`).getByText('starter', { exact: true }).waitFor();
    const after = await e.call('GET', `/v1/accounts/${t.accountId}`, { token: e.operatorToken });
    // The plan's quota is granted when the plan is given.
    expect(after.body).toMatchObject({ plan: 'starter', quota: { credits: 1000, refill: { amount: 1000, interval: 'monthly' } } });

    // The catalogue file no longer has "starter" (changed and reloaded): the account still shows it, and keeping it sends nothing.
    const plans = e.kw.ctx.catalogue.plans as Map<string, unknown>;
    const starter = plans.get('starter');
    plans.delete('starter');
    try {
      await page.getByRole('button', { name: `Edit limits of ${t.name}` }).click();
      await plan.locator('option', { hasText: 'no longer in the catalogue file' }).waitFor({ state: 'attached' });
      expect(await plan.inputValue()).toBe('starter');
      expect(await edit.getByTestId('plan-hint').textContent()).toContain('starter is no longer in the catalogue file');
      await plan.selectOption('');
      await edit.getByRole('button', { name: 'Save' }).click();
      await edit.waitFor({ state: 'detached' });
      expect((await e.call('GET', `/v1/accounts/${t.accountId}`, { token: e.operatorToken })).body.plan).toBeNull();
    } finally {
      plans.set('starter', starter);
    }
  });

  it("shows each account's device uses and refusals beside its key uses, and the device's use as the last use", async () => {
    const t = await e.tenant('Hooli Devices');
    const base = `/v1/accounts/${t.accountId}`;
    const dev = await e.call('POST', `${base}/devices`, { token: t.adminToken, body: { name: 'Meter' } });
    expect(dev.status).toBe(201);
    const limit = await e.call('PATCH', base, {
      token: e.operatorToken,
      body: { ratelimits: [{ name: 'devices', limit: 2, window: 'hour' }] },
    });
    expect(limit.status).toBe(200);
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      codes.push((await e.call('POST', '/v1/signatures/verify', { body: signedCheck(dev.body.device.id, dev.body.secret) })).body.code);
    }
    expect(codes).toEqual(['VALID', 'VALID', 'RATE_LIMITED']);
    const row0 = await eventually(async () => {
      const all = await e.call('GET', '/v1/accounts/usage', { token: e.operatorToken });
      const r = all.body.accounts.find((x: { accountId: string }) => x.accountId === t.accountId);
      return r?.deviceUses === 2 && r.deviceRejected === 1 && r;
    });
    expect(row0).toBeTruthy();

    await e.signIn('operator@e2e.local', 'operator-password-1');
    const page = e.page;
    await page.goto('/accounts');
    const row = page.getByTestId(`account-${t.customerId}`);
    await row.waitFor();
    expect(await row.getByTestId('uses').textContent()).toBe('0');
    expect(await row.getByTestId('device-uses').textContent()).toBe('2 (1 rejected)');
    expect(await row.textContent()).toContain('Keys: 0');
    expect(await row.textContent()).toContain('Devices: 2 (1 rejected)');
    expect(await row.getByTestId('last-used').textContent()).toBe('Just now');
  });

  it('New account: picks a plan from the catalogue; a plan the server no longer has is reported next to the field', async () => {
    await e.signIn('operator@e2e.local', 'operator-password-1');
    const page = e.page;
    await page.goto('/accounts');
    await page.getByRole('button', { name: 'New account' }).click();
    const dialog = page.getByRole('dialog', { name: 'New account' });
    const plan = dialog.getByLabel('Plan');
    expect(await plan.evaluate((el) => el.tagName)).toBe('SELECT');
    await plan.locator('option', { hasText: 'pro' }).waitFor({ state: 'attached' });
    expect(await plan.inputValue()).toBe('');
    expect(await dialog.getByTestId('plan-hint').textContent()).toContain('No plan');
    const stamp = Date.now().toString(36);
    await dialog.getByLabel('Account name').fill('Planned Pro');
    await dialog.getByLabel('Customer ID').fill(`PRO-${stamp}`);
    await dialog.getByLabel('Admin name').fill('Pat Pro');
    await dialog.getByLabel('Admin email').fill(`pat.${stamp}@pro.test`);
    await dialog.getByLabel('Initial password').fill('pro-password-12');
    await plan.selectOption('pro');
    expect(await dialog.getByTestId('plan-hint').textContent()).toContain('pro: default 100 per s (burst 200).');

    // The catalogue loses "pro" before the form is sent: 400 UNKNOWN_PLAN, shown next to the field, nothing created.
    const plans = e.kw.ctx.catalogue.plans as Map<string, unknown>;
    const pro = plans.get('pro');
    plans.delete('pro');
    try {
      await dialog.getByRole('button', { name: 'Create account' }).click();
      await dialog.getByText('No plan of this name is in the catalogue file.').waitFor();
      expect(await plan.getAttribute('aria-invalid')).toBe('true');
    } finally {
      plans.set('pro', pro);
    }
    const none = await e.call('GET', '/v1/accounts', { token: e.operatorToken });
    expect(none.body.accounts.some((a: { customerId: string }) => a.customerId === `PRO-${stamp}`)).toBe(false);

    await dialog.getByRole('button', { name: 'Create account' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByTestId(`account-PRO-${stamp}`);
    await row.getByText('pro', { exact: true }).waitFor();
    const all = await e.call('GET', '/v1/accounts', { token: e.operatorToken });
    const made = all.body.accounts.find((a: { customerId: string }) => a.customerId === `PRO-${stamp}`);
    expect(made).toMatchObject({ name: 'Planned Pro', plan: 'pro' });
  });
});
