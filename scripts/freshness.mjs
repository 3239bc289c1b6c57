// Whether dist/ is older than the sources it is built from (used by `npm start`, bin/keyward.mjs and
// the browser tests' global setup, dashboard/e2e/global-setup.ts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const builtCli = join(root, 'dist', 'src', 'cli', 'main.js');

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const f of readdirSync(path)) max = Math.max(max, newest(join(path, f)));
  return max;
}

/** The newest source file the server build depends on. */
export function sourcesTime() {
  return Math.max(
    newest(join(root, 'src')),
    newest(join(root, 'tsconfig.json')),
    newest(join(root, 'tsconfig.build.json')),
    newest(join(root, 'package.json')),
  );
}

export function dashboardSourcesTime() {
  return Math.max(
    newest(join(root, 'dashboard', 'src')),
    newest(join(root, 'dashboard', 'index.html')),
    newest(join(root, 'dashboard', 'vite.config.ts')),
    // The dashboard bundles the client SDK from source (its API calls and types).
    newest(join(root, 'packages', 'client', 'src')),
  );
}

/** True when the built server (and dashboard) are missing or older than their sources. */
export function serverStale() {
  return !existsSync(builtCli) || statSync(builtCli).mtimeMs < sourcesTime();
}

export function dashboardStale() {
  const index = join(root, 'dashboard', 'dist', 'index.html');
  return !existsSync(index) || statSync(index).mtimeMs < dashboardSourcesTime();
}
