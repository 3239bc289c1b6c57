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
    // At desktop width too, no two time labels are the same (a 24-hour range starts and ends on one clock time).
    const desktopLabels = await chart.evaluate((svg) =>
      Array.from(svg.querySelectorAll('text.axis'))
        .map((t) => t.textContent ?? '')
        .filter((l) => /[:a-z]/i.test(l)),
    );
    expect(desktopLabels.length).toBeGreaterThan(4);
    expect(new Set(desktopLabels).size).toBe(desktopLabels.length);
    await page.getByText('Show the data as a table').click();
    const busyRow = page.getByRole('row').filter({ hasText: 'Busy key' });
    expect(await busyRow.textContent()).toContain('3');

    await page.getByLabel('Access key').selectOption({ label: `Quiet key (${quiet.body.accessKey.start}…)` });
    await page.getByRole('img', { name: /1 in total across 1 key$/ }).waitFor();
  });

  it('on a phone: the key picker fits, axis labels are readable, series differ by shape and dash, hours read right', async (ctx) => {
    const t = await e.tenant();
    const base = `/v1/accounts/${t.accountId}`;
    await requireRoute(e, ctx, 'Usage', { method: 'GET', path: `${base}/usage?from=0&to=1`, token: t.adminToken });
    const app = await e.call('POST', `${base}/applications`, { token: t.adminToken, body: { name: 'Gateway' } });
    const keys = [];
    for (const name of ['A key with a very long name that would widen the picker on a small phone screen', 'Second key']) {
      const k = await e.call('POST', `${base}/applications/${app.body.id}/keys`, {
        token: t.adminToken,
        body: { name, scopes: ['device:read'] },
      });
      keys.push(k.body.key);
    }
    for (const key of keys) await e.call('POST', '/v1/keys/verify', { body: { key } });
    const to = Date.now() + 3_600_000;
    const recorded = await eventually(async () => {
      const r = await e.call('GET', `${base}/usage?from=${to - 86_400_000}&to=${to}`, { token: t.adminToken });
      return (r.body.series ?? []).length >= 2;
    });
    expect(recorded, 'the usage API reports both keys').toBe(true);

    await e.page.setViewportSize({ width: 390, height: 844 });
    await e.signIn(t.adminEmail, t.adminPassword);
    const page = e.page;
    await page.goto('/usage');
    const chart = page.getByRole('img', { name: /across 2 keys/ });
    await chart.waitFor();
    expect(await page.evaluate(() => (document.scrollingElement?.scrollWidth ?? 0) <= window.innerWidth)).toBe(true);
    const picker = page.getByLabel('Access key');
    expect((await picker.boundingBox())?.width ?? 999).toBeLessThanOrEqual(390);
    // Axis text at >= 11 CSS pixels as shown (the SVG is not scaled down).
    const sizes = await chart.evaluate((svg) => {
      const scale = svg.getBoundingClientRect().width / (svg as SVGSVGElement).viewBox.baseVal.width;
      return Array.from(svg.querySelectorAll('text.axis')).map((t) => Number.parseFloat(getComputedStyle(t).fontSize) * scale);
    });
    expect(sizes.length).toBeGreaterThan(3);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
    // Two series: different marker shapes and dash patterns, so overlapping points do not hide one.
    const looks = await chart.evaluate((svg) =>
      Array.from(svg.querySelectorAll('g.series')).map(
        (g) => `${g.getAttribute('data-shape')}|${(g.querySelector('polyline') as SVGElement).style.strokeDasharray}`,
      ),
    );
    expect(looks.length).toBe(2);
    expect(new Set(looks).size).toBe(2);
    // The 24-hour axis never repeats a label ("01:00 … 01:00").
    const labels = await chart.evaluate((svg) =>
      Array.from(svg.querySelectorAll('text.axis'))
        .map((t) => t.textContent ?? '')
        .filter((l) => /[:a-z]/i.test(l)),
    );
    expect(labels.length).toBeGreaterThanOrEqual(2);
    expect(new Set(labels).size).toBe(labels.length);
  });
});
