import { generatePurchases } from '../fixtures/generate-purchases';
import { chooseMerchant, expect, openFile, test } from './support/fixtures';

// Main's recent-files list: a file opened once is offered again by name (a handle main issued,
// never a path the page holds), and opens with one click.
test('recent files: a file opened before is listed and reopens', async ({ app }) => {
  const { page, merchant } = app;
  await chooseMerchant(app);
  const csv = generatePurchases({
    purchases: 5,
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: 11,
    transactionPrefix: `RECENT-${merchant.merchantId.slice(0, 6)}-`,
  });
  const path = await app.writeFile('recent-purchases.csv', csv.csv);
  await openFile(app, path);
  const grid = page.getByRole('grid');
  await expect(grid).toHaveAttribute('aria-rowcount', String(csv.rows + 1));

  await page.getByRole('button', { name: 'Close file' }).click();
  const recent = page.getByRole('navigation', { name: 'Recent files' });
  await expect(recent.getByRole('button', { name: 'recent-purchases.csv' })).toBeVisible();
  // The page holds names and handles only.
  await expect(recent).not.toContainText(app.dataDir);
  await app.shot('recent-files');
  await recent.getByRole('button', { name: 'recent-purchases.csv' }).click();
  await expect(grid).toHaveAttribute('aria-rowcount', String(csv.rows + 1));
});
