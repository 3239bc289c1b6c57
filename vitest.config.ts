import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites share one PostgreSQL; each takes its own schema, so files can run in parallel.
    fileParallelism: true,
    // Vitest's default on a 2-core machine is one worker (CPUs - 1): the suites mostly wait on
    // PostgreSQL, Redis, child processes and Chromium, so two keep CI well under its 20 minutes.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', globalSetup: ['test/global-setup.ts'] } },
      // Browser suites: the built dashboard in Chromium against a real Keyward (dashboard/e2e/support.ts).
      {
        test: {
          name: 'e2e',
          include: ['dashboard/e2e/**/*.spec.ts'],
          globalSetup: ['dashboard/e2e/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
