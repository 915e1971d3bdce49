import { generatePurchases } from '../fixtures/generate-purchases';
import { chooseMerchant, expect, openFile, test } from './support/fixtures';

test('clean import: open, preview without errors, commit, see it in History', async ({ app }) => {
  const { page, merchant } = app;
  await expect(page.locator('.badge')).toContainText('Sandbox', { timeout: 30_000 });
  await chooseMerchant(app);
  await app.shot('connection');

  const csv = generatePurchases({
    purchases: 40,
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: 11,
    transactionPrefix: `CLEAN-${merchant.merchantId.slice(0, 6)}-`,
  });
  const path = await app.writeFile('clean.csv', csv.csv);

  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Open a purchase file' })).toBeVisible();
  await app.shot('import-empty');
  await openFile(app, path);

  const grid = page.getByRole('grid');
  await expect(grid).toBeVisible();
  await expect(grid).toHaveAttribute('aria-rowcount', String(csv.rows + 1));
  await expect(page.locator('.summary')).toContainText('Rows with errors');
  await expect(page.locator('.figure--good dd')).toHaveText('0');
  await app.shot('preview-clean');

  // Find (Ctrl/Cmd+F in the app menu): a transaction number, case-insensitively, to its cell.
  const wanted = csv.purchases.find((p, i) => i >= 10 && p.items.length >= 2);
  if (!wanted) throw new Error('no purchase with two items');
  await page.locator('#find-text').fill(wanted.transactionNumber.toLowerCase());
  await page.locator('#find-text').press('Enter');
  const active = grid.locator('[role="gridcell"][aria-selected="true"]');
  await expect(active).toHaveText(wanted.transactionNumber);
  const foundRow = Number(await active.locator('..').getAttribute('aria-rowindex'));
  await page.locator('#find-text').press('Enter');
  // A purchase with several items repeats its number on the following rows.
  await expect(active.locator('..')).toHaveAttribute('aria-rowindex', String(foundRow + 1));
  await expect(active).toHaveText(wanted.transactionNumber);
  await page.locator('#find-text').press('Shift+Enter');
  await expect(active.locator('..')).toHaveAttribute('aria-rowindex', String(foundRow));

  await page.getByRole('button', { name: 'Continue to import →' }).click();
  await page.locator('#batch-name').fill('E2E clean import');
  await app.shot('commit-ready');
  await page.locator('#commit-button').click();
  await expect(page.getByRole('heading', { name: 'Import completed' })).toBeVisible();
  await expect(page.locator('.result')).toContainText(`Imported ${csv.purchases.length} purchases`);
  await app.shot('commit-done');

  const imported = await app.db.pool.query<{ n: number }>(
    'select count(*)::int as n from public.purchases where merchant_id = $1',
    [merchant.merchantId],
  );
  expect(imported.rows[0]?.n).toBe(csv.purchases.length);

  await page.getByRole('button', { name: 'Open in History' }).click();
  await expect(page.locator('.batch-detail')).toContainText('E2E clean import');
  await expect(page.locator('.batch-detail .status')).toHaveText('completed');
  await app.shot('history-completed');
});
