import { join } from 'node:path';
import { dashboardStale, root } from '../../scripts/freshness.mjs';

/** The browser suites test the built dashboard: build it once when dist is missing or older than its sources. */
export default async function setup() {
  if (!dashboardStale()) return;
  console.log('[e2e] building the dashboard (dashboard/dist is missing or stale)…');
  const { build } = await import('vite');
  await build({ configFile: join(root, 'dashboard', 'vite.config.ts'), logLevel: 'warn' });
}
