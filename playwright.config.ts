import { defineConfig } from '@playwright/test';

// Project `chromium` runs the built renderer in Chromium (E2E_CHROMIUM, else Playwright's, else
// the system's: test/e2e/support/find-browser.ts) with the main-process handlers hosted by the
// test process (Electron cannot be installed on these machines); project
// `electron` runs the same specs through _electron.launch and skips itself without the binary.
// `npm run test:e2e` builds first.

export default defineConfig({
  testDir: 'test/e2e',
  // Specs only: test/e2e/support/*.test.ts are vitest unit tests of the harness.
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results/e2e',
  globalSetup: './test/e2e/support/global-setup.ts',
  timeout: 180_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  // The list, then why tests were skipped (the `electron` project without Electron's binary).
  reporter: [['list'], ['./test/e2e/support/skip-summary-reporter.ts']],
  use: {
    // Tracing snapshots the DOM in the page's main thread: it would be measured as long tasks.
    trace: 'off',
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'chromium', testIgnore: /large-file/ },
    // The long-task budget is measured with nothing else running on the machine.
    { name: 'chromium-large', testMatch: /large-file/, dependencies: ['chromium'] },
    { name: 'electron' },
  ],
});
