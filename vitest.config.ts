import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The default summary, then which tests were skipped and why.
    reporters: ['default', './test/reporters/vitest-skip-summary.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'shared/**/*.test.ts',
            'electron/**/*.test.ts',
            'renderer/**/*.test.{ts,tsx}',
            // the start check and the UI tests' browser lookup (plain Node, no browser)
            'build/**/*.test.ts',
            'test/e2e/support/**/*.test.ts',
            // the mutation catalogue's anchors (the mutation runner itself is run by hand)
            'test/mutations/**/*.test.ts',
          ],
          environment: 'node',
          // A hang ceiling, not a budget: some unit tests start node or a worker thread, which
          // can take seconds on a loaded 2-core machine (timings belong in npm run bench).
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'db',
          include: ['test/db/**/*.test.ts', 'test/reliability/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/db-global-setup.ts'],
          testTimeout: process.env.RELIABILITY === 'long' ? 3_600_000 : 300_000,
          hookTimeout: 180_000,
          // one real server, several files: files run in parallel, each in its own merchant
          fileParallelism: true,
        },
      },
    ],
  },
});
