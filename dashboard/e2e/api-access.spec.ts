import { describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, requireRoute, useE2E } from './support.js';

/** Catenis' API ACCESS page: show and reset the shared API access secret. */
describe.skipIf(!HAS_CHROMIUM)('dashboard: API ACCESS', () => {
  const e = useE2E();

  it('shows the shared secret behind Reveal, tells the impact before a reset and the real count after it', async (ctx) => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    await requireRoute(e, ctx, 'Shared API access secret', { method: 'GET', path: `${base}/shared-secret`, token: t.adminToken });
    const own: string[] = [];
    for (const name of ['Own one', 'Own two', 'Own three']) {
      const d = await e.call('POST', `${base}/devices`, { token: t.adminToken, body: { name } });
      expect(d.body.device.secretSource).toBe('own');
      own.push(d.body.device.id);
    }
    await e.call('POST', `${base}/devices`, { token: t.adminToken, body: { name: 'Shared one', useSharedSecret: true } });
    const before = (await e.call('GET', `${base}/shared-secret`, { token: t.adminToken })).body.secret as string;

    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API ACCESS' }).click();
    await page.getByRole('heading', { name: 'API ACCESS', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Shared API access secret' }).click();
    let modal = page.getByRole('dialog', { name: 'Shared API access secret' });
    await modal.getByRole('button', { name: 'Reveal' }).waitFor();
    // Hidden until asked for: not in the page at all.
    expect(await page.content()).not.toContain(before);
    await modal.getByRole('button', { name: 'Reveal' }).click();
    expect(await modal.getByLabel('Shared API access secret').inputValue()).toBe(before);

    await modal.getByRole('button', { name: 'Reset API access secret' }).click();
    const reset = page.getByRole('dialog', { name: 'Reset API access secret' });
    const impact = reset.getByRole('region', { name: 'Impact' });
    await impact.getByText('1 device uses the shared API access secret now and will need the new one.').waitFor();
    const confirm = reset.getByRole('button', { name: 'Confirm' });
    expect(await confirm.isDisabled()).toBe(true);
    await reset.getByLabel(/Type “Yes, I do confirm it”/).fill('yes');
    expect(await confirm.isDisabled()).toBe(true);
    await reset.getByLabel('Use new shared API access secret to reset the API access secret for all devices').check();
    await impact.getByText(/^3 devices will be switched from their own API access secret/).waitFor();
    // Spaces around the words do not matter; the button enables once they match.
    await reset.getByLabel(/Type “Yes, I do confirm it”/).fill('  Yes, I do confirm it ');
    expect(await confirm.isEnabled()).toBe(true);
    await confirm.click();
    await reset.waitFor({ state: 'detached' });
    await page
      .getByText(
        'The shared API access secret was reset. 3 devices were switched from their own API access secret. 4 devices now use the new shared API access secret.',
      )
      .waitFor();
    await page.getByRole('status').filter({ hasText: 'Shared API access secret reset' }).waitFor();

    // As the seed says: check the new secret by clicking the button again.
    await page.getByRole('button', { name: 'Shared API access secret' }).click();
    modal = page.getByRole('dialog', { name: 'Shared API access secret' });
    await modal.getByRole('button', { name: 'Reveal' }).click();
    const afterSecret = await modal.getByLabel('Shared API access secret').inputValue();
    expect(afterSecret).not.toBe(before);
    await page.keyboard.press('Escape');
    await modal.waitFor({ state: 'detached' });

    for (const id of own) {
      const d = await e.call('GET', `${base}/devices/${id}`, { token: t.adminToken });
      expect(d.body.secretSource).toBe('shared');
    }
  });

  it('says "1 device was switched" in the singular', async (ctx) => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    await requireRoute(e, ctx, 'Shared API access secret', { method: 'GET', path: `${base}/shared-secret`, token: t.adminToken });
    await e.call('POST', `${base}/devices`, { token: t.adminToken, body: { name: 'Only one' } });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto('/api-access');
    await page.getByRole('button', { name: 'Shared API access secret' }).click();
    await page.getByRole('dialog', { name: 'Shared API access secret' }).getByRole('button', { name: 'Reset API access secret' }).click();
    const reset = page.getByRole('dialog', { name: 'Reset API access secret' });
    await reset.getByText('No device uses the shared API access secret now.').waitFor();
    await reset.getByLabel('Use new shared API access secret to reset the API access secret for all devices').check();
    await reset.getByText(/^1 device will be switched from its own API access secret/).waitFor();
    await reset.getByLabel(/Type “Yes, I do confirm it”/).fill('Yes, I do confirm it');
    await reset.getByRole('button', { name: 'Confirm' }).click();
    await page
      .getByText(
        'The shared API access secret was reset. 1 device was switched from its own API access secret. 1 device now uses the new shared API access secret.',
      )
      .waitFor();
  });
});
