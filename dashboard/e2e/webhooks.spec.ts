import { describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../../test/webhook-receiver.js';
import { E2E_LEAK_REPORTER_TOKEN, HAS_CHROMIUM, requireRoute, useE2E } from './support.js';

/** Issue 14 in the dashboard: webhook endpoints with a real local receiver, and the leak policy. */
describe.skipIf(!HAS_CHROMIUM)('dashboard: webhooks and leak policy', () => {
  const e = useE2E();

  it('creates an endpoint, shows its secret once, sends a test event and shows it delivered; no horizontal scroll at 390 px', async (ctx) => {
    const t = await e.tenant();
    await requireRoute(e, ctx, 'Webhooks', { method: 'GET', path: `/v1/accounts/${t.accountId}/webhooks`, token: t.adminToken });
    let rx: Receiver | undefined;
    try {
      rx = await startReceiver();
      await e.signIn(t.adminEmail, t.adminPassword);
      const page = e.page;
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
      await page.getByText('No webhook endpoints yet').waitFor();
      await page.getByRole('button', { name: 'New endpoint' }).click();
      const form = page.getByRole('dialog', { name: 'New webhook endpoint' });
      await form.getByLabel('Endpoint URL').fill(rx.url);
      await form.getByLabel('Description').fill('Local receiver');
      // Every event type is offered, each with its label.
      expect(await form.getByRole('checkbox').count()).toBe(14);
      // The limit events name device refusals too (their payloads carry `device`).
      await form.getByText("A rate limit refused a key's requests or a device's signed requests").waitFor();
      await form.getByText("A quota reached 80 % or 100 % (spent by keys or by devices' signed requests)").waitFor();
      await form.getByLabel(/webhook\.test/).check();
      await form.getByRole('button', { name: 'Create endpoint' }).click();

      const shown = page.getByRole('dialog', { name: 'Endpoint created' });
      const secret = await shown.getByLabel('Signing secret').inputValue();
      expect(secret).toMatch(/^whsec_/);
      rx.setSecret(secret);
      await shown.getByRole('button', { name: 'Copy', exact: true }).click();
      await shown.getByRole('button', { name: 'Copied', exact: true }).waitFor();
      await shown.getByRole('button', { name: /I have copied/ }).click();

      await page.getByRole('heading', { name: 'Webhook endpoint', level: 1 }).waitFor();
      expect(await page.content()).not.toContain(secret);
      await page.getByText('No deliveries yet').waitFor();
      await page.getByRole('button', { name: 'Send test event' }).click();
      await page.getByText('A test event was queued').waitFor();
      await rx.waitFor((list) => list.some((r) => r.verified?.type === 'webhook.test'), 15_000);

      // The log shows it delivered with the receiver's answer (refreshed until the dispatcher recorded it).
      const row = page.getByRole('table', { name: 'Deliveries' }).getByRole('row').filter({ hasText: 'webhook.test' });
      const deadline = Date.now() + 15_000;
      for (;;) {
        await page.getByRole('button', { name: 'Refresh' }).click();
        if ((await row.count()) > 0 && ((await row.first().textContent()) ?? '').includes('Delivered')) break;
        if (Date.now() > deadline) throw new Error('the delivery never showed as delivered');
        await page.waitForTimeout(250);
      }
      expect(await row.first().textContent()).toContain('200');
      await row.first().getByRole('button', { name: 'Redeliver' }).waitFor();

      // Disable and enable again.
      await page.getByRole('button', { name: 'Disable' }).click();
      await page.getByText('The endpoint was disabled.').waitFor();
      await page.getByRole('button', { name: 'Enable' }).click();
      await page.getByText('The endpoint was enabled.').waitFor();

      // No page-level horizontal scroll on the webhooks pages at 390×844.
      await page.setViewportSize({ width: 390, height: 844 });
      for (const path of ['/webhooks', page.url().replace(e.url, '')]) {
        await page.goto(path);
        await page.getByRole('heading', { level: 1 }).waitFor();
        await page.getByText('Loading…').waitFor({ state: 'detached' });
        const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, win: window.innerWidth }));
        expect(widths.doc, path).toBeLessThanOrEqual(widths.win);
      }
    } finally {
      await rx?.close();
    }
  });

  it('a member with webhooks.view sees endpoints but no actions; without it, no Webhooks entry', async (ctx) => {
    const t = await e.tenant();
    await requireRoute(e, ctx, 'Webhooks', { method: 'GET', path: `/v1/accounts/${t.accountId}/webhooks`, token: t.adminToken });
    const make = async (email: string, permissions: string[]) => {
      const r = await e.call('POST', `/v1/accounts/${t.accountId}/users`, {
        token: t.adminToken,
        body: { email, name: 'Mia Member', password: 'member-password-1', permissions },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    };
    const viewer = `viewer.${Date.now().toString(36)}@acme.test`;
    const other = `other.${Date.now().toString(36)}@acme.test`;
    await make(viewer, ['webhooks.view', 'applications.view']);
    await make(other, ['applications.view']);
    await e.signIn(viewer, 'member-password-1');
    const page = e.page;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByText('No webhook endpoints yet').waitFor();
    expect(await page.getByRole('button', { name: 'New endpoint' }).count()).toBe(0);
    await page.getByRole('button', { name: /Mia Member/ }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await e.signIn(other, 'member-password-1');
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
  });

  it('sets the leak policy on the Account page', async (ctx) => {
    const t = await e.tenant();
    await requireRoute(e, ctx, 'Leak policy', { method: 'GET', path: `/v1/accounts/${t.accountId}/leak-policy`, token: t.adminToken });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto('/account');
    await page.getByTestId('leak-policy-current').getByText('Revoke at once').waitFor();
    await page.getByLabel(/Expire after an overlap/).check();
    await page.getByLabel('Overlap (seconds)').fill('900');
    await page.getByRole('button', { name: 'Save leak policy' }).click();
    await page.getByText('The leak policy was saved.').waitFor();
    await page.getByTestId('leak-policy-current').getByText('Expire after an overlap of 900 seconds').waitFor();
    const saved = await e.call('GET', `/v1/accounts/${t.accountId}/leak-policy`, { token: t.adminToken });
    expect(saved.body).toEqual({ mode: 'rotate', overlapSeconds: 900 });
    await page.getByLabel(/Only notify/).check();
    await page.getByRole('button', { name: 'Save leak policy' }).click();
    await page.getByTestId('leak-policy-current').getByText('Only notify').waitFor();
    expect((await e.call('GET', `/v1/accounts/${t.accountId}/leak-policy`, { token: t.adminToken })).body).toEqual({
      mode: 'notify',
      overlapSeconds: 0,
    });
  });

  it('marks a key reported leaked with a Leaked badge and the time, in the key table and on the key page', async () => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    // Notify only: the key stays active, so it stays in the default (non-revoked) listing.
    await e.call('PUT', `${base}/leak-policy`, { token: t.adminToken, body: { mode: 'notify', overlapSeconds: 0 } });
    const app = await e.call('POST', `${base}/applications`, { token: t.adminToken, body: { name: 'Gateway' } });
    const leaked = await e.call('POST', `${base}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: { name: 'Pushed to GitHub', scopes: ['device:read'] },
    });
    await e.call('POST', `${base}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: { name: 'Safe key', scopes: ['device:read'] },
    });
    const report = await e.call('POST', '/v1/leaks', {
      token: E2E_LEAK_REPORTER_TOKEN,
      body: [{ token: leaked.body.key, type: 'keyward_access_key', url: 'https://github.com/o/r/blob/x/.env' }],
    });
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    expect(report.body[0].label).toBe('true_positive');

    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto('/api-keys');
    const row = page.getByRole('row').filter({ hasText: 'Pushed to GitHub' });
    await row.getByText(/^Leaked/).waitFor();
    expect(
      await page
        .getByRole('row')
        .filter({ hasText: 'Safe key' })
        .getByText(/^Leaked/)
        .count(),
    ).toBe(0);
    await page.goto(`/api-keys/${leaked.body.accessKey.id}`);
    await page.getByRole('heading', { name: 'Pushed to GitHub', level: 1 }).waitFor();
    const badge = page.locator('.badge-leaked');
    await badge.waitFor();
    expect(await badge.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});
