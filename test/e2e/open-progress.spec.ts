import { join } from 'node:path';
import { writePurchasesCsv } from '../fixtures/generate-purchases';
import { chooseMerchant, expect, openFile, test, watchCommitPanel } from './support/fixtures';

// Issue 18: while a file opens, every number and name on the progress panel is true: rows read
// exclude the header, "Starting…" never comes back after the check began, and the heading says
// what is happening (not "Reading" during the check). Failed on the code before the fix.

const ROWS = 60_000;

interface Seen {
  heading: string;
  status: string;
}

test('opening a file: rows read exclude the header; phase names follow what happens', async ({
  app,
}) => {
  const { page, merchant } = app;
  await chooseMerchant(app);
  const path = join(app.dataDir, 'files', 'progress.csv');
  const written = await writePurchasesCsv(path, {
    rows: ROWS,
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: 7,
    transactionPrefix: `PRG-${merchant.merchantId.slice(0, 6)}-`,
  });
  expect(written.rows).toBe(ROWS);

  // Every heading and status the panel shows, in order, however briefly.
  await page.evaluate(() => {
    const seen: Seen[] = [];
    (window as unknown as { __seen: Seen[] }).__seen = seen;
    const record = (): void => {
      const panel = document.querySelector('.progress-panel');
      if (!panel) return;
      const entry = {
        heading: panel.querySelector('h1')?.textContent ?? '',
        status: panel.querySelector('[role="status"]')?.textContent ?? '',
      };
      const last = seen.at(-1);
      if (!last || last.heading !== entry.heading || last.status !== entry.status) seen.push(entry);
    };
    new MutationObserver(record).observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
    });
  });
  await openFile(app, path);
  await expect(page.getByRole('grid')).toHaveAttribute('aria-rowcount', String(ROWS + 1), {
    timeout: 120_000,
  });
  const seen = await page.evaluate(() => (window as unknown as { __seen: Seen[] }).__seen);
  console.log(`[open-progress] ${seen.map((s) => `${s.heading} | ${s.status}`).join('\n  ')}`);

  // Rows read: never more than the file's data rows, and the full count was shown.
  const counts = seen
    .map((s) => /^([\d,]+) rows? ·/.exec(s.status)?.[1])
    .filter((c): c is string => c !== undefined)
    .map((c) => Number(c.replace(/,/g, '')));
  expect(counts.length).toBeGreaterThan(0);
  expect(Math.max(...counts)).toBeLessThanOrEqual(ROWS);
  expect(seen.some((s) => s.status.includes(ROWS.toLocaleString('en-US')))).toBe(true);

  // Once checking began, "Starting…" never comes back, and the heading never says "Reading".
  const checkingFrom = seen.findIndex((s) => /Checking/.test(s.status));
  expect(checkingFrom).toBeGreaterThanOrEqual(0);
  for (const s of seen.slice(checkingFrom)) {
    expect(s.status).not.toContain('Starting');
    expect(s.heading).not.toMatch(/^Reading/);
  }
  // And while the status is about checking, so is the heading.
  for (const s of seen.filter((x) => /Checking|checking/.test(x.status)))
    expect(s.heading).toMatch(/^Checking/);
});

test('committing: elapsed time against the expected duration, and why Cancel is off', async ({
  app,
}) => {
  const { page, merchant } = app;
  await chooseMerchant(app);
  const path = join(app.dataDir, 'files', 'commit-progress.csv');
  await writePurchasesCsv(path, {
    rows: ROWS,
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: 8,
    transactionPrefix: `CPR-${merchant.merchantId.slice(0, 6)}-`,
  });
  await openFile(app, path);
  await expect(page.getByRole('grid')).toHaveAttribute('aria-rowcount', String(ROWS + 1), {
    timeout: 120_000,
  });
  await page.getByRole('button', { name: 'Continue to import →' }).click();
  // Every status the commit panel shows, however briefly.
  const commitPanel = await watchCommitPanel(page);
  await page.locator('#commit-button').click();
  await expect(page.getByRole('heading', { name: 'Import completed' })).toBeVisible({
    timeout: 120_000,
  });
  const seen = await commitPanel();
  console.log(`[commit-progress]\n  ${seen.join('\n  ')}`);
  const committing = seen.filter((s) => s.includes('in one transaction:'));
  expect(committing.length).toBeGreaterThan(0);
  for (const text of committing) {
    expect(text).toMatch(
      new RegExp(`Committing ${ROWS.toLocaleString('en-US')} rows in one transaction: \\d+ s`),
    );
    expect(text).toMatch(/about \d+ s expected|longer than the \d+ s expected/);
    expect(text).toContain('Cancel is no longer possible');
  }
});
