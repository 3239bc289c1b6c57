import { describe, expect, it } from 'vitest';
import { type Env, HAS_CHROMIUM, type Tenant, useE2E } from './support.js';

/** Issue #16 item 3: navigation, pages and actions follow the user's rights. */
describe.skipIf(!HAS_CHROMIUM)('dashboard: what a user may do shapes what they see', () => {
  const e = useE2E();
  let n = 0;

  async function member(t: Tenant, permissions: string[]) {
    const email = `member${++n}.${Date.now().toString(36)}@acme.test`;
    const r = await e.call('POST', `/v1/accounts/${t.accountId}/users`, {
      token: t.adminToken,
      body: { email, name: 'Mo Member', password: 'member-password-1', permissions },
    });
    expect(r.status).toBe(201);
    return email;
  }

  async function signInAs(env: Env, email: string) {
    await env.page.goto('/login');
    await env.page.getByLabel('Email').fill(email);
    await env.page.getByLabel('Password').fill('member-password-1');
    await env.page.getByRole('button', { name: 'Sign in' }).click();
  }

  const navLinks = () => e.page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();

  it('a member with only devices.view lands on Devices, reads them, and meets no button that would fail', async () => {
    const t = await e.tenant();
    const dev = await e.call('POST', `/v1/accounts/${t.accountId}/devices`, { token: t.adminToken, body: { name: 'Meter 7' } });
    expect(dev.status).toBe(201);
    await signInAs(e, await member(t, ['devices.view']));
    const page = e.page;
    await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/devices');
    expect(await navLinks()).toEqual(['Devices']);
    await page.getByRole('link', { name: 'Meter 7' }).waitFor();
    expect(await page.getByRole('button', { name: 'New device' }).count()).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(0);

    await page.getByRole('link', { name: 'Meter 7' }).click();
    await page.getByRole('heading', { name: 'Meter 7', level: 1 }).waitFor();
    await page.getByTestId('view-only').waitFor();
    for (const name of ['Rename', 'Disable', 'Delete', 'Reset device secret']) {
      expect(await page.getByRole('button', { name, exact: true }).count()).toBe(0);
    }

    // Pages outside their rights: a plain explanation, not a "Missing permission" error.
    for (const [path, what] of [
      ['/applications', 'Applications'],
      ['/api-access', 'API ACCESS'],
      ['/users', 'Users'],
      ['/audit', 'Audit log'],
    ] as const) {
      await page.goto(path);
      await page.getByRole('heading', { name: `No access to ${what}`, level: 1 }).waitFor();
      expect(await page.getByRole('alert').count()).toBe(0);
      expect(await page.locator('main').textContent()).not.toContain('Missing permission');
    }
    await page.getByRole('link', { name: 'Go to a page you can open' }).click();
    await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
  });

  it('a member holding devices.manage gets the device actions', async () => {
    const t = await e.tenant();
    const dev = await e.call('POST', `/v1/accounts/${t.accountId}/devices`, { token: t.adminToken, body: { name: 'Meter 8' } });
    await signInAs(e, await member(t, ['devices.manage']));
    const page = e.page;
    await page.getByRole('button', { name: 'New device' }).waitFor();
    await page.goto(`/devices/${dev.body.device.id}`);
    await page.getByRole('button', { name: 'Reset device secret' }).waitFor();
    expect(await page.getByTestId('view-only').count()).toBe(0);
    // The shared secret stays with admins.
    expect(await navLinks()).toEqual(['Devices']);
  });

  it('a member with no permissions yet gets a friendly page, an empty menu and a way out', async () => {
    const t = await e.tenant();
    await signInAs(e, await member(t, []));
    const page = e.page;
    await page.getByRole('heading', { name: 'Welcome, Mo Member', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'You do not have access to any feature yet' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('administrator');
    expect(await navLinks()).toEqual([]);
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.getByRole('main').getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to your account' }).waitFor();
  });

  it('a member with keys.view.mine only lands on Usage and meets no admin-only button', async () => {
    const t = await e.tenant();
    await signInAs(e, await member(t, ['keys.view.mine']));
    const page = e.page;
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
    expect(await navLinks()).toEqual(['Usage', 'API Keys']);
    // API Keys: no "New customer key" (admins only).
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API Keys' }).click();
    await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
    expect(await page.getByRole('button', { name: 'New customer key' }).count()).toBe(0);
  });
});
