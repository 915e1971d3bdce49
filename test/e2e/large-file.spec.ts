import { join } from 'node:path';
import { writePurchasesCsv } from '../fixtures/generate-purchases';
import { chooseMerchant, expect, openFile, test } from './support/fixtures';

const ROWS = 100_000;

/** The page's document, typed just enough (the specs are checked without the DOM library). */
interface PageDocument {
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
}

test("100k rows: parsing stays off the page's main thread; the grid reaches the last row", async ({
  app,
}) => {
  const { page, merchant } = app;
  await chooseMerchant(app);
  const path = join(app.dataDir, 'files', 'large.csv');
  const written = await writePurchasesCsv(path, {
    rows: ROWS,
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: 41,
    transactionPrefix: `BIG-${merchant.merchantId.slice(0, 6)}-`,
  });
  expect(written.rows).toBe(ROWS);

  // Long Tasks observer: every main-thread task over 50 ms the page runs from here on.
  // (String page functions: the specs are type-checked without the DOM library.)
  await page.evaluate(`(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
    }).observe({ type: 'longtask' });
  })()`);
  const started = Date.now();
  await openFile(app, path);
  // While parsing, the test only polls a CSS selector every 250 ms: Playwright's role queries and
  // screenshots run in the page's main thread too and would show up as long tasks.
  // (Function predicates: the page's CSP refuses string ones, as it refuses any eval.)
  await page.waitForFunction(
    () =>
      (globalThis as unknown as { document: PageDocument }).document.querySelector(
        '.progress-panel',
      ) !== null,
    undefined,
    {
      polling: 250,
    },
  );
  await page.waitForFunction(
    (rows) =>
      (globalThis as unknown as { document: PageDocument }).document
        .querySelector('[role="grid"]')
        ?.getAttribute('aria-rowcount') === String(rows + 1),
    ROWS,
    { polling: 250, timeout: 120_000 },
  );
  const openMs = Date.now() - started;
  const parseTasks = await page.evaluate(() =>
    (globalThis as unknown as { __longTasks: number[] }).__longTasks.slice(),
  );
  await expect(page.locator('.figure--good dd')).toHaveText('0');
  await app.shot('large-preview');
  const grid = page.getByRole('grid');

  // Keyboard to the last row: Ctrl+End, then the virtualized row is in the DOM with its index.
  await grid.focus();
  const scrollStarted = Date.now();
  await page.keyboard.press('Control+End');
  const lastRow = page.locator(`[role="row"][aria-rowindex="${ROWS + 1}"]`);
  await expect(lastRow).toBeVisible();
  await expect(lastRow.getByRole('rowheader')).toHaveText(String(ROWS + 1));
  const scrollMs = Date.now() - scrollStarted;
  await page.keyboard.press('PageUp');
  await page.keyboard.press('Control+Home');
  await expect(page.locator('[role="row"][aria-rowindex="2"]')).toBeVisible();
  await page.mouse.move(600, 600);
  for (let i = 0; i < 10; i++) await page.mouse.wheel(0, 4000);
  await page.keyboard.press('Control+End');
  await expect(lastRow).toBeVisible();
  await app.shot('large-last-row');
  const allTasks = await page.evaluate(() =>
    (globalThis as unknown as { __longTasks: number[] }).__longTasks.slice(),
  );

  const max = (list: number[]): number => list.reduce((a, b) => Math.max(a, b), 0);
  const domRows = await page.locator('[role="row"]').count();
  console.log(
    `[e2e large] ${ROWS} rows (${(written.bytes / 1024 / 1024).toFixed(1)} MB): open→grid ${openMs} ms; ` +
      `long tasks while parsing: ${parseTasks.length} (max ${Math.round(max(parseTasks))} ms); ` +
      `Ctrl+End to last row ${scrollMs} ms; long tasks incl. scrolling: ${allTasks.length} (max ${Math.round(max(allTasks))} ms); ` +
      `rows in the DOM: ${domRows}`,
  );
  // Relative, not absolute (a loaded machine once stretched a 100 ms budget to 111 ms): parsing
  // on the main thread would block it for about the whole open, so the longest task must be a
  // small part of it. The absolute figure is printed above.
  expect(max(parseTasks)).toBeLessThan(openMs / 5);
  expect(domRows).toBeLessThan(200);
});
