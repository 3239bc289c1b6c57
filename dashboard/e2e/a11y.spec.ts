import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, HAS_CHROMIUM, type Tenant, useE2E } from './support.js';

/**
 * Issue #16: every page (and the main dialogs) as the operator and as an account admin, at desktop
 * and phone sizes, once in dark mode: no serious or critical axe-core violation, and no page-level
 * horizontal scroll. One server and one browser for the whole file.
 */
const AXE = fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url));
const OPERATOR = { email: 'operator@e2e.local', password: 'operator-password-1' };
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** Each pass visits ~16 pages and runs axe on each: minutes on a loaded 2-core machine. */
const PASS_MS = 480_000;

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Waits for the page to settle: a heading, no loading skeleton. */
async function settled(page: Page) {
  await page.locator('h1, h2').first().waitFor();
  await page.locator('.loading-skeleton').first().waitFor({ state: 'detached' });
}

/** Serious and critical axe violations of the page as it is now, as readable lines. */
async function axeProblems(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations = (await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: unknown[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations;
  })) as Violation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

const horizontalScroll = (page: Page) =>
  page.evaluate(() => {
    const el = document.scrollingElement ?? document.documentElement;
    return el.scrollWidth > window.innerWidth ? `scrollWidth ${el.scrollWidth} > ${window.innerWidth}` : null;
  });

describe.skipIf(!HAS_CHROMIUM)('dashboard: accessibility and layout of every page', () => {
  const e = useE2E();
  let t: Tenant;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    if (!HAS_CHROMIUM) return;
    t = await e.tenant('Northwind Logistics');
    const base = `/v1/accounts/${t.accountId}`;
    const token = t.adminToken;
    const app = await e.call('POST', `${base}/applications`, {
      token,
      body: { name: 'Fleet onboarding', description: 'Registers new trackers' },
    });
    ids.app = app.body.id;
    const key = await e.call('POST', `${base}/applications/${ids.app}/keys`, {
      token,
      body: {
        name: 'Production',
        scopes: ['device:downlinks', 'device:fuota', 'device:read'],
        ratelimits: [{ name: 'default', limit: 60, window: 'minute' }],
        quota: { credits: 1000, refill: null },
      },
    });
    ids.key = key.body.accessKey.id;
    await e.call('POST', '/v1/keys/verify', { body: { key: key.body.key } });
    const gone = await e.call('POST', `${base}/applications`, { token, body: { name: 'Legacy sync' } });
    await e.call('POST', `${base}/applications/${gone.body.id}/revoke`, { token });
    const device = await e.call('POST', `${base}/devices`, { token, body: { name: 'Tracker 0042' } });
    ids.device = device.body.device?.id ?? '';
    await e.call('POST', `${base}/devices`, { token, body: { name: 'Gateway west', useSharedSecret: true } });
    const hook = await e.call('POST', `${base}/webhooks`, {
      token,
      body: { url: 'http://127.0.0.1:9/keyward-hook', eventTypes: ['key.created'], description: 'ERP sync' },
    });
    ids.webhook = hook.body.endpoint?.id ?? hook.body.webhook?.id ?? hook.body.id ?? '';
    await e.call('POST', `${base}/users`, {
      token,
      body: { name: 'Bob Builder', email: 'bob@northwind.test', password: 'bob-password-1', permissions: ['applications.view'] },
    });
    await eventually(async () => (await e.call('GET', `${base}/keys/${ids.key}`, { token })).body.lastUsedAt, 5_000);
  });

  const pages = () => [
    '/applications',
    `/applications/${ids.app}`,
    `/applications/${ids.app}/keys`,
    '/api-keys',
    `/api-keys/${ids.key}`,
    '/devices',
    ...(ids.device ? [`/devices/${ids.device}`] : []),
    '/api-access',
    '/usage',
    '/users',
    '/webhooks',
    ...(ids.webhook ? [`/webhooks/${ids.webhook}`] : []),
    '/audit',
    '/account',
    '/accounts',
    '/no-such-page',
  ];

  /** Opens a dialog from the current page, checks it, closes it with Escape. */
  async function dialog(page: Page, opener: RegExp | string, name: string, problems: string[]) {
    const button = page.getByRole('button', { name: opener, exact: typeof opener === 'string' }).first();
    if (!(await button.isVisible()) || (await button.isDisabled())) return;
    await button.click();
    const d = page.getByRole('dialog', { name });
    await d.waitFor();
    await page.locator('dialog .loading-skeleton').first().waitFor({ state: 'detached' });
    for (const p of await axeProblems(page)) problems.push(`${page.url()} [dialog ${name}] ${p}`);
    await page.keyboard.press('Escape');
    await d.waitFor({ state: 'detached' });
  }

  async function visitAll(who: 'admin' | 'operator', viewport: typeof DESKTOP, colorScheme: 'light' | 'dark' = 'light') {
    const context = await e.browser.newContext({ baseURL: e.url, viewport, colorScheme });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const problems: string[] = [];
    try {
      await page.goto('/login');
      for (const p of await axeProblems(page)) problems.push(`/login ${p}`);
      const scrollLogin = await horizontalScroll(page);
      if (scrollLogin) problems.push(`/login horizontal scroll: ${scrollLogin}`);
      // The fields' own messages (nothing typed yet), next to the fields.
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Enter your email address.').waitFor();
      for (const p of await axeProblems(page)) problems.push(`/login (field errors) ${p}`);
      const creds = who === 'admin' ? { email: t.adminEmail, password: t.adminPassword } : OPERATOR;
      await page.getByLabel('Email').fill(creds.email);
      await page.getByLabel('Password').fill(creds.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
      for (const path of pages()) {
        await page.goto(path);
        await settled(page);
        for (const p of await axeProblems(page)) problems.push(`${path} ${p}`);
        const scroll = await horizontalScroll(page);
        if (scroll) problems.push(`${path} horizontal scroll: ${scroll}`);
        if (path === '/applications') await dialog(page, 'New', 'New application', problems);
        if (path === `/applications/${ids.app}/keys`) await dialog(page, 'New', 'New access key', problems);
        if (path === '/devices') await dialog(page, 'New device', 'New device', problems);
        if (path === '/users') await dialog(page, 'New user', 'New user', problems);
        if (path === '/api-keys') await dialog(page, 'New customer key', 'New customer key', problems);
        if (path === '/accounts') await dialog(page, 'New account', 'New account', problems);
        if (path === '/account') await dialog(page, 'Edit limits', 'Edit account limits', problems);
        if (path === '/api-access') {
          await dialog(page, 'Shared API access secret', 'Shared API access secret', problems);
        }
      }
    } finally {
      await context.close();
    }
    return problems;
  }

  it(
    'as an admin at 1280×800',
    async () => {
      expect(await visitAll('admin', DESKTOP)).toEqual([]);
    },
    PASS_MS,
  );

  it(
    'as an admin at 390×844',
    async () => {
      expect(await visitAll('admin', PHONE)).toEqual([]);
    },
    PASS_MS,
  );

  it(
    'as the operator at 1280×800',
    async () => {
      expect(await visitAll('operator', DESKTOP)).toEqual([]);
    },
    PASS_MS,
  );

  it(
    'as the operator at 390×844',
    async () => {
      expect(await visitAll('operator', PHONE)).toEqual([]);
    },
    PASS_MS,
  );

  it(
    'in dark mode (the system setting), as an admin at 1280×800',
    async () => {
      expect(await visitAll('admin', DESKTOP, 'dark')).toEqual([]);
    },
    PASS_MS,
  );
});
