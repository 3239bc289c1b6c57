import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dashboard = fileURLToPath(new URL('..', import.meta.url));

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))));
}

/** The browser suites test the built dashboard: build it once when dist is missing or older than its sources. */
export default async function setup() {
  const built = join(dashboard, 'dist', 'index.html');
  const sources = Math.max(
    newest(join(dashboard, 'src')),
    newest(join(dashboard, 'index.html')),
    newest(join(dashboard, 'vite.config.ts')),
    // The dashboard bundles the client SDK from source.
    newest(join(dashboard, '..', 'packages', 'client', 'src')),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  console.log('[e2e] building the dashboard (dashboard/dist is missing or stale)…');
  const { build } = await import('vite');
  await build({ configFile: join(dashboard, 'vite.config.ts'), logLevel: 'warn' });
}
