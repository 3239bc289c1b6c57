import { existsSync } from 'node:fs';

/**
 * Says once per run (not once per test file) which suites are skipped and how to enable
 * them: the suites themselves skip quietly with `describe.skipIf`.
 */
export default function setup() {
  const notes: string[] = [];
  if (!process.env.KEYWARD_TEST_DATABASE_URL) {
    notes.push('PostgreSQL suites SKIPPED: set KEYWARD_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test');
  }
  if (!process.env.KEYWARD_TEST_REDIS_URL) notes.push('Redis suites SKIPPED: set KEYWARD_TEST_REDIS_URL=redis://127.0.0.1:6379');
  if (!['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].some(existsSync)) {
    notes.push('nginx integration SKIPPED: nginx is not installed (apt-get install -y nginx-light)');
  }
  if (notes.length > 0) {
    console.warn(`\n${notes.map((n) => `[keyward tests] ${n}`).join('\n')}\n(bash .ci/run sets both URLs and installs what is missing.)\n`);
  }
}
