// `npm start` builds only what changed since the last build: the server (tsc) and the dashboard (vite).
import { spawnSync } from 'node:child_process';
import { dashboardStale, root, serverStale } from './freshness.mjs';

function run(script) {
  const r = spawnSync('npm', ['run', script, '--silent'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (serverStale()) {
  console.log('Building Keyward (sources changed since the last build)…');
  run('build:server');
}
if (dashboardStale()) {
  console.log('Building the dashboard…');
  run('build:dashboard');
}
