import { describe, expect, it } from 'vitest';
import { eventually, HAS_CHROMIUM, requireRoute, useE2E } from './support.js';

describe.skipIf(!HAS_CHROMIUM)('dashboard: usage', () => {
  const e = useE2E();

  it('charts verifications per key over time with a table fallback', async (ctx) => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    await requireRoute(e, ctx, 'Usage', { method: 'GET', path: `${base}/usage?from=0&to=1`, token: t.adminToken });
    const app = await e.call('POST', `${base}/applications`, { token: t.adminToken, body: { name: 'Gateway' } });
    const busy = await e.call('POST', `${base}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: { name: 'Busy key', scopes: ['device:read'] },
    });
    const quiet = await e.call('POST', `${base}/applications/${app.body.id}/keys`, {
      token: t.adminToken,
      body: { name: 'Quiet key', scopes: ['device:read'] },
    });
    for (let i = 0; i < 3; i++) await e.call('POST', '/v1/keys/verify', { body: { key: busy.body.key } });
    await e.call('POST', '/v1/keys/verify', { body: { key: quiet.body.key } });
    const to = Date.now() + 3_600_000;
    const recorded = await eventually(async () => {
      const r = await e.call('GET', `${base}/usage?from=${to - 86_400_000}&to=${to}`, { token: t.adminToken });
      const total = (r.body.series ?? []).reduce(
        (n: number, s: { points: { count: number }[] }) => n + s.points.reduce((m, p) => m + p.count, 0),
        0,
      );
      return total >= 4;
    });
    expect(recorded, 'the usage API reports the 4 verifications').toBe(true);

    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click();
    const chart = page.getByRole('img', { name: /Verifications per key over time: 4 in total across 2 keys/ });
    await chart.waitFor();
    await page.getByText('Show the data as a table').click();
    const busyRow = page.getByRole('row').filter({ hasText: 'Busy key' });
    expect(await busyRow.textContent()).toContain('3');

    await page.getByLabel('Access key').selectOption({ label: `Quiet key (${quiet.body.accessKey.start}…)` });
    await page.getByRole('img', { name: /1 in total across 1 key$/ }).waitFor();
  });
});
