/**
 * Regenerates docs/screenshots/*.png: the Applications page of a seeded demo account, an access key
 * shown once, and a rate-limited key's page.
 * Run after `npm run build:dashboard`: `npx tsx dashboard/e2e/screenshot.ts`.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchChromium, startKeyward } from './support.js';

const OUT = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

const { dir, env } = await startKeyward();
const t = await env.tenant('Northwind Logistics');
const base = `/v1/accounts/${t.accountId}`;
const apps = [
  ['Fleet onboarding', 'Registers and activates new trackers from the warehouse scanner'],
  ['Downlink scheduler', 'Sends configuration downlinks to field devices every night'],
  ['Billing export', 'Monthly usage export to the ERP'],
  ['Firmware rollout', 'FUOTA campaigns for the gateway fleet'],
];
const ids: string[] = [];
for (const [name, description] of apps) {
  const a = await env.call('POST', `${base}/applications`, { token: t.adminToken, body: { name, description } });
  ids.push(a.body.id);
  await env.call('POST', `${base}/applications/${a.body.id}/keys`, {
    token: t.adminToken,
    body: { name: 'Production', scopes: ['device:read'] },
  });
}
const legacy = await env.call('POST', `${base}/applications`, {
  token: t.adminToken,
  body: { name: 'Legacy sync', description: 'Replaced by Fleet onboarding' },
});
await env.call('POST', `${base}/applications/${legacy.body.id}/revoke`, { token: t.adminToken });

const browser = await launchChromium();
const page = await browser.newPage({ baseURL: env.url, viewport: { width: 1360, height: 760 }, deviceScaleFactor: 1 });
await page.goto('/login');
await page.getByLabel('Email').fill(t.adminEmail);
await page.getByLabel('Password').fill(t.adminPassword);
await page.getByRole('button', { name: 'Sign in' }).click();
await page.getByRole('link', { name: 'Fleet onboarding' }).waitFor();
await page.getByLabel('Show revoked applications').check();
await page.getByRole('link', { name: 'Legacy sync' }).waitFor();
mkdirSync(OUT, { recursive: true });
await page.screenshot({ path: `${OUT}dashboard.png` });

await page.goto(`/applications/${ids[0]}/keys`);
await page.getByRole('button', { name: 'New', exact: true }).click();
const form = page.getByRole('dialog', { name: 'New access key' });
await form.getByLabel('Name', { exact: true }).fill('Scanner');
await form.getByLabel('Device: Onboarding').check();
await form.getByRole('button', { name: 'Create' }).click();
await page.getByRole('dialog', { name: 'Access key created' }).waitFor();
await page.screenshot({ path: `${OUT}access-key-created.png` });

// A metered key (issue #12): its page with the limits and the credits left after a few calls.
const metered = await env.call('POST', `${base}/applications/${ids[1]}/keys`, {
  token: t.adminToken,
  body: {
    name: 'Nightly downlinks',
    scopes: ['device:read'],
    ratelimits: [{ name: 'default', limit: 60, window: 'minute', burst: 10 }],
    quota: { credits: 5000, refill: { amount: 5000, interval: 'daily' } },
  },
});
for (let i = 0; i < 12; i++) await env.call('POST', '/v1/keys/verify', { body: { key: metered.body.key } });
await Promise.all([env.kw.ctx.quotaLedger.flush(), env.kw.ctx.usage.flush()]);
await page.goto(`/api-keys/${metered.body.accessKey.id}`);
await page.getByTestId('quota-remaining').waitFor();
await page.screenshot({ path: `${OUT}key-limits.png`, fullPage: true });

await browser.close();
await env.kw.close();
rmSync(dir, { recursive: true, force: true });
console.log(`wrote ${OUT}dashboard.png, access-key-created.png and key-limits.png`);
