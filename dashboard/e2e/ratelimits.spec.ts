import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, useE2E } from './support.js';

/** Issue #12 in the dashboard: limits and quota on keys and accounts, the rejected series of the usage chart. */

/** The page itself does not scroll sideways (tables may scroll inside their own box). */
async function expectNoPageScroll(page: Page, what: string) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(scroll, `${what}: page width ${scroll} px in a ${client} px viewport`).toBeLessThanOrEqual(client);
}

describe.skipIf(!HAS_CHROMIUM)('dashboard: rate limits and quotas', () => {
  const e = useE2E();

  it('creates a key with a rate limit and a quota in the form (errors next to the fields), shows them and edits them', async () => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    const app = await e.call('POST', `${base}/applications`, { token: t.adminToken, body: { name: 'Gateway' } });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto(`/applications/${app.body.id}/keys`);
    await page.getByRole('button', { name: 'New', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'New access key' });
    await dialog.getByLabel('Name', { exact: true }).fill('Metered key');
    await dialog.getByText('Rate limits and quota').click();
    await dialog.getByRole('button', { name: 'Add rate limit' }).click();
    expect(await dialog.getByLabel('Limit name').inputValue()).toBe('default');
    await dialog.getByLabel('Requests').fill('0');
    await dialog.getByLabel('Per', { exact: true }).selectOption('minute');
    await dialog.getByLabel('Limit the total number of credits').check();
    await dialog.getByLabel('Credits', { exact: true }).fill('3');
    await dialog.getByRole('button', { name: 'Create' }).click();
    // Checked in the browser: the message is next to the field, nothing was sent.
    await dialog.getByText('The number of requests must be at least 1.').waitFor();
    expect(await dialog.getByLabel('Requests').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByText('Please check the form').waitFor();
    expect((await e.call('GET', `${base}/keys`, { token: t.adminToken })).body.keys).toEqual([]);

    await dialog.getByLabel('Requests').fill('10');
    await dialog.getByLabel('Burst').fill('4');
    await dialog.getByLabel('Refill', { exact: true }).check();
    await dialog.getByLabel('Refill to').fill('3');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const created = page.getByRole('dialog', { name: 'Access key created' });
    await created.getByText('default 10 per min (burst 4) · 3 credits, refilled to 3 daily').waitFor();
    await created.getByRole('button', { name: /I have copied my access key/ }).click();

    const row = page.getByRole('row').filter({ hasText: 'Metered key' });
    await row.getByText('default 10 per min (burst 4)').waitFor();
    const [key] = (await e.call('GET', `${base}/keys`, { token: t.adminToken })).body.keys;
    expect(key.ratelimits).toEqual([{ name: 'default', limit: 10, window: 'minute', burst: 4 }]);
    expect(key.quota).toMatchObject({ credits: 3, refill: { amount: 3, interval: 'daily' } });

    await row.getByRole('link', { name: 'Metered key' }).click();
    await page.getByRole('heading', { name: 'Metered key', level: 1 }).waitFor();
    const limits = page.getByRole('region', { name: 'Rate limits and quota' });
    await limits.getByText('10 per min (burst 4)').waitFor();
    expect(await limits.getByTestId('quota-remaining').textContent()).toBe('3');

    // Editable after creation (unlike scopes): a new rate, the quota left as it is.
    await limits.getByRole('button', { name: 'Edit limits' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit access key' });
    await edit.getByLabel('Requests').fill('20');
    await edit.getByLabel('Burst').fill('');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    await limits.getByText('20 per min').waitFor();
    const after = (await e.call('GET', `${base}/keys/${key.id}`, { token: t.adminToken })).body;
    expect(after.ratelimits).toEqual([{ name: 'default', limit: 20, window: 'minute', burst: null }]);
    expect(after.quota).toMatchObject({ credits: 3, remaining: 3 });
    const audit = (await e.call('GET', `${base}/audit`, { token: t.adminToken })).body.events.map((ev: { action: string }) => ev.action);
    expect(audit.filter((a: string) => a === 'key.set_limits')).toHaveLength(1);
  });

  it('a quota spent through the API: the key shows 0 credits left, the usage chart a rejected series', async () => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    const app = await e.call('POST', `${base}/applications`, { token: t.adminToken, body: { name: 'Gateway' } });
    const key = await e.call('POST', `${base}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: { name: 'Prepaid key', scopes: ['device:read'], quota: { credits: 2 } },
    });
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) codes.push((await e.call('POST', '/v1/keys/verify', { body: { key: key.body.key } })).body.code);
    expect(codes).toEqual(['VALID', 'VALID', 'USAGE_EXCEEDED', 'USAGE_EXCEEDED', 'USAGE_EXCEEDED']);
    await e.kw.ctx.quotaLedger.flush(); // the key's read shows the credits as last written

    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto(`/api-keys/${key.body.accessKey.id}`);
    const limits = page.getByRole('region', { name: 'Rate limits and quota' });
    await limits.getByText('of 2 credits left').waitFor();
    expect(await limits.getByTestId('quota-remaining').textContent()).toBe('0');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('img', { name: /2 in total across 1 key; 3 rejected by rate limits or quotas/ }).waitFor();
    await page.getByText('Rejected (rate-limited or over quota): 3').waitFor();
    expect(await page.locator('.series-rejected rect').count()).toBeGreaterThanOrEqual(1);
    await page.getByText('Show the data as a table').click();
    const cells = await page.getByRole('row').filter({ hasText: 'Prepaid key' }).first().getByRole('cell').allTextContents();
    expect(cells.slice(-2)).toEqual(['2', '3']);
  });

  it('the operator edits an account’s limits, quota and plan; its admin reads them and cannot edit', async () => {
    const t = await e.tenant();
    await e.signIn('operator@e2e.local', 'operator-password-1');
    const page = e.page;
    await page.getByLabel('Account', { exact: true }).selectOption({ label: `${t.name} (${t.customerId})` });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account', exact: true }).click();
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    await page.getByText('This account has no rate limits, quota or plan.').waitFor();
    await page.getByRole('button', { name: 'Edit limits' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit account limits' });
    await dialog.getByRole('button', { name: 'Add rate limit' }).click();
    await dialog.getByLabel('Limit name').fill('Per Customer');
    await dialog.getByLabel('Requests').fill('100');
    await dialog.getByLabel('Per', { exact: true }).selectOption('hour');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('Use lower-case letters, digits, ".", "_" or "-", starting with a letter or digit.').waitFor();
    await dialog.getByLabel('Limit name').fill('per-customer');
    // The catalogue file loses "pro" while the dialog is open (changed and reloaded): the server refuses it.
    const plans = e.kw.ctx.catalogue.plans as Map<string, unknown>;
    const pro = plans.get('pro');
    plans.delete('pro');
    try {
      await dialog.getByLabel('Plan').selectOption('pro');
      await dialog.getByRole('button', { name: 'Save' }).click();
      // The server's refusal, in words, next to the field it is about.
      await dialog.getByText('No plan of this name is in the catalogue file.').waitFor();
      expect(await dialog.getByLabel('Plan').getAttribute('aria-invalid')).toBe('true');
    } finally {
      plans.set('pro', pro);
    }
    await dialog.getByLabel('Plan').selectOption('');
    await dialog.getByLabel('Limit the total number of credits').check();
    await dialog.getByLabel('Credits', { exact: true }).fill('1000');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText("The account's limits were saved.").waitFor();
    const region = page.getByRole('region', { name: 'Rate limits, quota and plan' });
    await region.getByText('100 per h').waitFor();
    expect(await region.getByTestId('quota-remaining').textContent()).toBe('1,000');
    const account = (await e.call('GET', `/v1/accounts/${t.accountId}`, { token: e.operatorToken })).body;
    expect(account).toMatchObject({
      ratelimits: [{ name: 'per-customer', limit: 100, window: 'hour', burst: null }],
      quota: { credits: 1000, refill: null },
      plan: null,
    });

    const admin = await e.browser.newContext({ baseURL: e.url, viewport: { width: 1280, height: 800 } });
    try {
      const p = await admin.newPage();
      await p.goto('/login');
      await p.getByLabel('Email').fill(t.adminEmail);
      await p.getByLabel('Password').fill(t.adminPassword);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
      await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
      const read = p.getByRole('region', { name: 'Rate limits, quota and plan' });
      await read.getByText('100 per h').waitFor();
      await read.getByText('Only the operator can change them.').waitFor();
      expect(await p.getByRole('button', { name: 'Edit limits' }).count()).toBe(0);
    } finally {
      await admin.close();
    }
  });

  it('no page-level horizontal scroll on the pages and dialogs it adds or changes, at 1280×800 and 390×844', async () => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    const app = await e.call('POST', `${base}/applications`, { token: t.adminToken, body: { name: 'Gateway' } });
    const key = await e.call('POST', `${base}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: {
        name: 'A key with a rather long name for a narrow screen',
        scopes: ['device:read'],
        ratelimits: [
          { name: 'default', limit: 1, window: 'day' },
          { name: 'a-long-limit-name-for-wrapping', limit: 1_000_000, window: 'second', burst: 2_000_000 },
        ],
        quota: { credits: 1, refill: { amount: 1_000_000, interval: 'monthly' } },
      },
    });
    await e.call('PATCH', base, { token: e.operatorToken, body: { ratelimits: [{ name: 'default', limit: 5, window: 'minute' }] } });
    for (let i = 0; i < 3; i++) await e.call('POST', '/v1/keys/verify', { body: { key: key.body.key } });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    const pages = [`/api-keys/${key.body.accessKey.id}`, '/account', '/usage', '/api-keys', `/applications/${app.body.id}/keys`];
    for (const size of [
      { width: 1280, height: 800 },
      { width: 390, height: 844 },
    ]) {
      await page.setViewportSize(size);
      for (const path of pages) {
        await page.goto(path);
        await page.locator('h1').waitFor();
        await page.getByRole('status').filter({ hasText: 'Loading' }).waitFor({ state: 'detached' });
        await expectNoPageScroll(page, `${path} at ${size.width}×${size.height}`);
      }
      await page.goto(`/api-keys/${key.body.accessKey.id}`);
      await page.getByRole('button', { name: 'Edit limits' }).click();
      const dialog = page.getByRole('dialog', { name: 'Edit access key' });
      await dialog.getByRole('button', { name: 'Add rate limit' }).click();
      await expectNoPageScroll(page, `the limits form at ${size.width}×${size.height}`);
      const overflow = await dialog.evaluate((d) => d.scrollWidth - d.clientWidth);
      expect(overflow, `the limits form scrolls sideways by ${overflow} px at ${size.width}`).toBeLessThanOrEqual(0);
    }
  });
});
