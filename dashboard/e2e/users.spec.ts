import { describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, useE2E } from './support.js';

describe.skipIf(!HAS_CHROMIUM)('dashboard: users and permissions', () => {
  const e = useE2E();

  it('creates a user with the chosen permissions and API scopes', async () => {
    const t = await e.tenant();
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByLabel('Name').fill('Bob Builder');
    await dialog.getByLabel('Email').fill('bob@acme.test');
    await dialog.getByLabel('Initial password').fill('bob-password-1');
    await dialog.getByLabel('Create application').check();
    await dialog.getByLabel('Create access keys for my applications').check();
    await dialog.getByLabel('Device: Read Access').check();
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByRole('row').filter({ hasText: 'bob@acme.test' });
    await row.waitFor();
    expect(await row.textContent()).toContain('Device: Read Access');

    const users = await e.call('GET', `/v1/accounts/${t.accountId}/users`, { token: t.adminToken });
    const bob = users.body.users.find((u: { email: string }) => u.email === 'bob@acme.test');
    expect(bob.permissions.sort()).toEqual(['applications.create', 'applications.view', 'keys.create.mine', 'keys.view.mine']);
    expect(bob.apiScopes).toEqual(['device:read']);
  });

  it('shows the Users page, read-only, to members with users.view and hides it from other members', async () => {
    const t = await e.tenant();
    for (const [email, permissions] of [
      ['viewer@acme.test', ['users.view', 'applications.view']],
      ['plain@acme.test', ['applications.view']],
    ] as const) {
      const created = await e.call('POST', `/v1/accounts/${t.accountId}/users`, {
        token: t.adminToken,
        body: { email, name: email.split('@')[0], password: 'member-password-1', permissions },
      });
      expect(created.status).toBe(201);
    }
    const page = e.page;
    const nav = page.getByRole('navigation', { name: 'Main' });
    await e.signIn('viewer@acme.test', 'member-password-1');
    await nav.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('row').filter({ hasText: t.adminEmail }).waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'plain@acme.test' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'New user' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Edit permissions of/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Delete / }).count()).toBe(0);

    await e.signIn('plain@acme.test', 'member-password-1');
    expect(await nav.getByRole('link').allTextContents()).not.toContain('Users');
  });

  it("sets a user's permissions and API scopes", async () => {
    const t = await e.tenant();
    await e.call('POST', `/v1/accounts/${t.accountId}/users`, {
      token: t.adminToken,
      body: { email: 'cy@acme.test', name: 'Cy Member', password: 'cy-password-12', permissions: ['applications.view'] },
    });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto('/users');
    await page.getByRole('button', { name: 'Edit permissions of Cy Member' }).click();
    const dialog = page.getByRole('dialog', { name: 'Permissions for Cy Member' });
    await dialog.getByLabel('View applications').uncheck();
    await dialog.getByLabel('Revoke application').check();
    await dialog.getByLabel('Device: Full Access').check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const users = await e.call('GET', `/v1/accounts/${t.accountId}/users`, { token: t.adminToken });
    const cy = users.body.users.find((u: { email: string }) => u.email === 'cy@acme.test');
    expect(cy.permissions).toEqual(['applications.revoke']);
    expect(cy.apiScopes).toEqual(['device:full-access']);
  });

  it('deletes a user after warning that their applications and keys stop working', async () => {
    const t = await e.tenant();
    const created = await e.call('POST', `/v1/accounts/${t.accountId}/users`, {
      token: t.adminToken,
      body: { email: 'dee@acme.test', name: 'Dee Leaving', password: 'dee-password-12', isAdmin: true },
    });
    expect(created.status).toBe(201);
    const dee = await e.call('POST', '/v1/auth/login', { body: { email: 'dee@acme.test', password: 'dee-password-12' } });
    const app = await e.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: dee.body.token, body: { name: 'Dee app' } });
    const key = await e.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/keys`, {
      token: dee.body.token,
      body: { name: 'k', scopes: ['device:read'] },
    });
    expect((await e.call('POST', '/v1/keys/verify', { body: { key: key.body.key } })).body.valid).toBe(true);

    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto('/users');
    await page.getByRole('button', { name: 'Delete Dee Leaving' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete user' });
    expect(await dialog.textContent()).toContain('API access keys and applications that this user created will stop working');
    await dialog.getByRole('button', { name: 'Delete user' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('row').filter({ hasText: 'dee@acme.test' }).waitFor({ state: 'detached' });
    const after = await e.call('POST', '/v1/keys/verify', { body: { key: key.body.key } });
    expect(after.body).toMatchObject({ valid: false, code: 'DISABLED' });
  });
});
