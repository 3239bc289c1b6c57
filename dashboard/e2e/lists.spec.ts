import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, useE2E } from './support.js';

/**
 * Issue #16 items 2, 4 and 9: search, sort, filters and "Load more" on the list pages, kept in
 * the URL (reload and shared links keep them); stacked rows at 390 px with no page-level
 * horizontal scroll and the row actions in reach; the audit log's labels, names, seconds and filters.
 */
describe.skipIf(!HAS_CHROMIUM)('dashboard: lists', () => {
  const e = useE2E();

  const rowsOf = (page: Page, table: string) => page.getByRole('table', { name: table }).locator('tbody tr');

  it('searches, sorts and filters applications; the URL keeps them across a reload', async () => {
    const t = await e.tenant();
    for (const name of ['Fleet alpha', 'Billing', 'fleet beta', 'Onboarding']) {
      expect((await e.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name } })).status).toBe(201);
    }
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.getByRole('table', { name: 'Applications' }).waitFor();
    expect(await rowsOf(page, 'Applications').count()).toBe(4);

    await page.getByRole('searchbox', { name: 'Search applications by name, description or ID' }).fill('FLEET');
    await page.waitForURL(/[?&]q=FLEET/);
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 2);
    await page.getByLabel('Sort').selectOption('name');
    await page.getByRole('button', { name: /Ascending order/ }).click();
    await page.waitForURL(/order=desc/);
    const url = new URL(page.url());
    expect(url.searchParams.get('q')).toBe('FLEET');
    expect(url.searchParams.get('sort')).toBe('name');
    await page.waitForFunction(() => document.querySelector('table tbody tr')?.textContent?.includes('fleet beta'));
    expect(await rowsOf(page, 'Applications').allTextContents()).toEqual([
      expect.stringContaining('fleet beta'),
      expect.stringContaining('Fleet alpha'),
    ]);

    // A reload (or the link shared) shows the same list, with the controls as they were.
    await page.reload();
    await page.getByRole('table', { name: 'Applications' }).waitFor();
    expect(await page.getByRole('searchbox').inputValue()).toBe('FLEET');
    expect(await page.getByLabel('Sort').inputValue()).toBe('name');
    const texts = await rowsOf(page, 'Applications').allTextContents();
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain('fleet beta');

    // A filter that matches nothing says so, rather than "No applications yet".
    await page.getByLabel('Status').selectOption('revoked');
    await page.getByText('No matching applications').waitFor();
    expect(new URL(page.url()).searchParams.get('status')).toBe('revoked');
  });

  it('pages devices 50 at a time with Load more; a search narrows on the server', async () => {
    const t = await e.tenant();
    for (let i = 0; i < 53; i++) {
      const name = `Sensor ${String(i).padStart(2, '0')}`;
      expect((await e.call('POST', `/v1/accounts/${t.accountId}/devices`, { token: t.adminToken, body: { name } })).status).toBe(201);
    }
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto('/devices?sort=name&order=desc');
    await page.getByRole('table', { name: 'Devices' }).waitFor();
    expect(await rowsOf(page, 'Devices').count()).toBe(50);
    expect(await rowsOf(page, 'Devices').first().textContent()).toContain('Sensor 52');
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 53);
    expect(await rowsOf(page, 'Devices').last().textContent()).toContain('Sensor 00');
    await page.getByText('53 shown · all loaded').waitFor();
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    await page.getByRole('searchbox').fill('sensor 4');
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 10);
    expect(new URL(page.url()).searchParams.get('q')).toBe('sensor 4');
  });

  it('keys: search and status filters in the URL, and a toast after revoking', async () => {
    const t = await e.tenant();
    const app = await e.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'Gateway' } });
    for (const name of ['Edge primary', 'Edge backup', 'Batch']) {
      const k = await e.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/keys`, {
        token: t.adminToken,
        body: { name, scopes: [] },
      });
      expect(k.status).toBe(201);
    }
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto(`/applications/${app.body.id}/keys?q=edge`);
    await page.getByRole('table', { name: 'Access keys' }).waitFor();
    expect(await rowsOf(page, 'Access keys').count()).toBe(2);
    await page.getByRole('button', { name: 'Revoke Edge backup' }).click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /Revoke/ })
      .last()
      .click();
    await page.getByRole('status').filter({ hasText: 'Access key Edge backup revoked' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 1);

    await page.goto('/api-keys?status=revoked&revoked=1');
    await page.getByRole('table', { name: 'API keys' }).waitFor();
    const revoked = await rowsOf(page, 'API keys').allTextContents();
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toContain('Edge backup');
    expect(await page.getByLabel('Show revoked keys').isChecked()).toBe(true);

    // At 1280 px the actions column stays inside the table's visible box, scrolled or not.
    await page.goto('/api-keys');
    const del = page.getByRole('button', { name: 'Delete Edge primary' });
    await del.waitFor();
    const wrap = await page.getByRole('table', { name: 'API keys' }).evaluate((t) => t.parentElement!.getBoundingClientRect().right);
    const box = await del.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(wrap);
  });

  it('the sidebar link of the list on screen opens it unfiltered: URL, search box, selects and toggles', async () => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    const app = await e.call('POST', `${base}/applications`, { token: t.adminToken, body: { name: 'Gateway' } });
    for (const name of ['Edge primary', 'Batch']) {
      const k = await e.call('POST', `${base}/applications/${app.body.id}/keys`, { token: t.adminToken, body: { name, scopes: [] } });
      expect(k.status).toBe(201);
    }
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    const nav = page.getByRole('navigation', { name: 'Main' });
    await page.goto('/api-keys?q=edge&status=active&sort=name&order=desc&kind=application&revoked=1');
    await page.getByRole('table', { name: 'API keys' }).waitFor();
    expect(await rowsOf(page, 'API keys').count()).toBe(1);
    expect(await page.getByRole('searchbox').inputValue()).toBe('edge');
    await nav.getByRole('link', { name: 'API Keys' }).click();
    await page.waitForFunction(() => location.pathname + location.search === '/api-keys');
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 2);
    expect(await page.getByRole('searchbox').inputValue()).toBe('');
    expect(await page.getByLabel('Status').inputValue()).toBe('');
    expect(await page.getByLabel('Sort').inputValue()).toBe('created');
    expect(await page.getByRole('button', { name: 'Ascending order' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'All keys' }).getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByLabel('Show revoked keys').isChecked()).toBe(false);
    // The search box typed into, then the link: the list and the box both start over.
    await page.getByRole('searchbox').fill('batch');
    await page.waitForFunction(() => location.search === '?q=batch');
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 1);
    await nav.getByRole('link', { name: 'API Keys' }).click();
    await page.waitForFunction(() => location.search === '');
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 2);
    expect(await page.getByRole('searchbox').inputValue()).toBe('');

    // The same on another list (Applications), and Back returns to the filtered list.
    await page.goto('/applications?q=nothing-matches');
    await page.getByText('No matching applications').waitFor();
    await nav.getByRole('link', { name: 'Applications' }).click();
    await page.getByRole('link', { name: 'Gateway' }).waitFor();
    expect(await page.getByRole('searchbox').inputValue()).toBe('');
    await page.goBack();
    await page.getByText('No matching applications').waitFor();
    expect(await page.getByRole('searchbox').inputValue()).toBe('nothing-matches');
  });

  it('the audit log reads as sentences: labels, names, seconds, and filters kept in the URL', async () => {
    const t = await e.tenant();
    const app = await e.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'Audited app' } });
    await e.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/revoke`, { token: t.adminToken });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto('/audit');
    const table = page.getByRole('table', { name: 'Audit events' });
    await table.waitFor();
    const row = rowsOf(page, 'Audit events').filter({ hasText: 'Application revoked' });
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('Audited app');
    expect(text).toContain('Ada Admin');
    expect(text).toMatch(/\d{2}:\d{2}:\d{2}/);

    await page.getByLabel('Action').selectOption('application.create');
    await page.waitForURL(/action=application\.create/);
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('table tbody tr')).every((r) => r.textContent?.includes('Application created')),
    );
    const today = new Date();
    const day = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
    await page.getByLabel(/^From/).fill(day);
    await page.waitForURL(/from=/);
    await page.reload();
    await table.waitFor();
    expect(await page.getByLabel('Action').inputValue()).toBe('application.create');
    const rows = await rowsOf(page, 'Audit events').allTextContents();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('Audited app');
    // A day with nothing in it.
    await page.getByLabel(/^To/).fill('2001-01-01');
    await page.getByText('No matching events').waitFor();
  });

  it('at 390×844 no list page scrolls sideways, and Delete/Revoke are in reach', async () => {
    const t = await e.tenant();
    const app = await e.call('POST', `/v1/accounts/${t.accountId}/applications`, {
      token: t.adminToken,
      body: { name: 'A rather long application name that would widen a table', description: 'x'.repeat(300) },
    });
    await e.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: { name: 'Key with a long name for the narrow screen', scopes: [] },
    });
    await e.call('POST', `/v1/accounts/${t.accountId}/devices`, { token: t.adminToken, body: { name: 'Thermostat in the hallway' } });
    await e.call('POST', `/v1/accounts/${t.accountId}/users`, {
      token: t.adminToken,
      body: {
        email: `a.very.long.email.address.${Date.now()}@subdomain.example-company.test`,
        name: 'Mo Member',
        password: 'member-password-1',
      },
    });
    const mobile = await e.browser.newContext({ baseURL: e.url, viewport: { width: 390, height: 844 } });
    try {
      const page = await mobile.newPage();
      page.setDefaultTimeout(20_000);
      await page.goto('/login');
      await page.getByLabel('Email').fill(t.adminEmail);
      await page.getByLabel('Password').fill(t.adminPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
      const pages = [
        { path: '/applications', table: 'Applications', action: 'Revoke A rather long application name that would widen a table' },
        { path: `/applications/${app.body.id}/keys`, table: 'Access keys', action: 'Revoke Key with a long name for the narrow screen' },
        { path: '/api-keys', table: 'API keys', action: 'Delete Key with a long name for the narrow screen' },
        { path: '/devices', table: 'Devices' },
        { path: '/users', table: 'Users', action: 'Delete Mo Member' },
        { path: '/audit', table: 'Audit events' },
      ];
      for (const p of pages) {
        await page.goto(p.path);
        await page.getByRole('table', { name: p.table }).waitFor();
        const { scrollWidth, innerWidth } = await page.evaluate(() => ({
          scrollWidth: document.scrollingElement?.scrollWidth ?? 0,
          innerWidth: window.innerWidth,
        }));
        expect(scrollWidth, p.path).toBeLessThanOrEqual(innerWidth);
        if (p.action) {
          const button = page.getByRole('button', { name: p.action });
          await button.scrollIntoViewIfNeeded();
          const box = await button.boundingBox();
          expect(box, p.path).not.toBeNull();
          expect(box!.x, p.path).toBeGreaterThanOrEqual(0);
          expect(box!.x + box!.width, p.path).toBeLessThanOrEqual(390);
          // Nothing inside the table scrolls sideways either: the button is where the card shows it.
          const wrapScrolls = await page
            .getByRole('table', { name: p.table })
            .evaluate((t) => (t.parentElement ? t.parentElement.scrollWidth > t.parentElement.clientWidth : false));
          expect(wrapScrolls, p.path).toBe(false);
        }
      }
    } finally {
      await mobile.close();
    }
  });
});
