/**
 * Regenerates docs/screenshots/*.png for docs/dashboard.md and the README from a seeded demo account:
 * light and dark (the system setting), desktop (1360×760) and phone (390×844).
 * Run `npm run screenshots` (builds the dashboard, then `tsx dashboard/e2e/screenshot.ts`).
 *
 *   dashboard.png, dashboard-dark.png, dashboard-mobile.png, dashboard-mobile-dark.png   Applications
 *   usage.png, usage-dark.png, usage-mobile.png                                         Usage chart
 *   access-key-created.png, access-key-created-dark.png                                 a key shown once
 *   key-limits.png                                                                      a metered key's page
 *   shared-secret-reset.png                                                             the reset's impact
 */
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, startKeyward } from './support.js';

const OUT = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const DESKTOP = { width: 1360, height: 760 };
const PHONE = { width: 390, height: 844 };

const { dir, env } = await startKeyward();
const t = await env.tenant('Northwind Logistics');
const base = `/v1/accounts/${t.accountId}`;
const token = t.adminToken;
const apps = [
  ['Fleet onboarding', 'Registers and activates new trackers from the warehouse scanner'],
  ['Downlink scheduler', 'Sends configuration downlinks to field devices every night'],
  ['Billing export', 'Monthly usage export to the ERP'],
  ['Firmware rollout', 'FUOTA campaigns for the gateway fleet'],
];
const ids: string[] = [];
const keys: string[] = [];
for (const [name, description] of apps) {
  const a = await env.call('POST', `${base}/applications`, { token, body: { name, description } });
  ids.push(a.body.id);
  const k = await env.call('POST', `${base}/applications/${a.body.id}/keys`, {
    token,
    body: { name: 'Production', scopes: ['device:read'] },
  });
  keys.push(k.body.key);
}
const legacy = await env.call('POST', `${base}/applications`, {
  token,
  body: { name: 'Legacy sync', description: 'Replaced by Fleet onboarding' },
});
await env.call('POST', `${base}/applications/${legacy.body.id}/revoke`, { token });

// A metered key (issue #12): its page with the limits and the credits left after a few calls.
const metered = await env.call('POST', `${base}/applications/${ids[1]}/keys`, {
  token,
  body: {
    name: 'Nightly downlinks',
    scopes: ['device:downlinks', 'device:read'],
    ratelimits: [{ name: 'default', limit: 60, window: 'minute', burst: 10 }],
    quota: { credits: 5000, refill: { amount: 5000, interval: 'daily' } },
  },
});
for (let i = 0; i < 12; i++) await env.call('POST', '/v1/keys/verify', { body: { key: metered.body.key } });
for (const [i, key] of keys.entries()) {
  for (let n = 0; n < 3 + i * 4; n++) await env.call('POST', '/v1/keys/verify', { body: { key } });
}
for (const name of ['Tracker 0042', 'Tracker 0043', 'Gateway west']) {
  await env.call('POST', `${base}/devices`, { token, body: { name, useSharedSecret: name.startsWith('Gateway') } });
}
await Promise.all([env.kw.ctx.quotaLedger.flush(), env.kw.ctx.usage.flush()]);

async function signedIn(browser: Browser, viewport: typeof DESKTOP, colorScheme: 'light' | 'dark'): Promise<Page> {
  const context = await browser.newContext({ baseURL: env.url, viewport, colorScheme, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto('/login');
  await page.getByLabel('Email').fill(t.adminEmail);
  await page.getByLabel('Password').fill(t.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
  return page;
}

async function settle(page: Page) {
  await page.locator('.loading-skeleton').first().waitFor({ state: 'detached' });
  // Fonts and the chart's measured width.
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(150);
}

const written: string[] = [];
async function shot(page: Page, name: string, fullPage = false) {
  await settle(page);
  await page.screenshot({ path: `${OUT}${name}.png`, fullPage });
  written.push(`${name}.png`);
}

async function applications(page: Page, name: string) {
  await page.goto('/applications');
  await page.getByRole('link', { name: 'Fleet onboarding' }).waitFor();
  await page.getByLabel('Show revoked applications').check();
  await page.getByRole('link', { name: 'Legacy sync' }).waitFor();
  await shot(page, name);
}

async function usage(page: Page, name: string) {
  await page.goto('/usage');
  await page.getByRole('img', { name: /Verifications per key over time/ }).waitFor();
  await shot(page, name);
}

async function keyCreated(page: Page, name: string) {
  await page.goto(`/applications/${ids[0]}/keys`);
  await page.getByRole('button', { name: 'New', exact: true }).click();
  const form = page.getByRole('dialog', { name: 'New access key' });
  await form.getByLabel('Name', { exact: true }).fill('Scanner');
  await form.getByLabel('Device: Onboarding').check();
  await form.getByRole('button', { name: 'Create' }).click();
  const created = page.getByRole('dialog', { name: 'Access key created' });
  await created.waitFor();
  await shot(page, name);
  await created.getByRole('button', { name: 'I have copied my access key - Close' }).click();
}

mkdirSync(OUT, { recursive: true });
const browser = await launchChromium();
try {
  let page = await signedIn(browser, DESKTOP, 'light');
  await applications(page, 'dashboard');
  await usage(page, 'usage');
  await keyCreated(page, 'access-key-created');
  await page.goto(`/api-keys/${metered.body.accessKey.id}`);
  await page.getByTestId('quota-remaining').waitFor();
  await shot(page, 'key-limits', true);
  await page.goto('/api-access');
  await page.getByRole('button', { name: 'Shared API access secret' }).click();
  await page.getByRole('button', { name: 'Reset API access secret' }).click();
  const reset = page.getByRole('dialog', { name: 'Reset API access secret' });
  await reset.getByLabel('Use new shared API access secret to reset the API access secret for all devices').check();
  await reset.getByText(/will be switched/).waitFor();
  await shot(page, 'shared-secret-reset');
  await page.context().close();

  page = await signedIn(browser, DESKTOP, 'dark');
  await applications(page, 'dashboard-dark');
  await usage(page, 'usage-dark');
  await keyCreated(page, 'access-key-created-dark');
  await page.context().close();

  page = await signedIn(browser, PHONE, 'light');
  await applications(page, 'dashboard-mobile');
  await usage(page, 'usage-mobile');
  await page.context().close();

  page = await signedIn(browser, PHONE, 'dark');
  await applications(page, 'dashboard-mobile-dark');
  await page.context().close();
} finally {
  await browser.close();
  await env.kw.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`wrote ${written.map((f) => `docs/screenshots/${f}`).join(', ')}`);
