import { randomUUID } from 'node:crypto';
import { generatePurchases } from '../fixtures/generate-purchases';
import { chooseMerchant, expect, openFile, test } from './support/fixtures';

test('unknown SKU: flagged, replaced everywhere from the pick list, then committed', async ({
  app,
}) => {
  const { page, merchant } = app;
  await chooseMerchant(app);
  const unknownSku = randomUUID();
  const csv = generatePurchases({
    purchases: 30,
    userIds: merchant.userIds,
    skuIds: [...merchant.skuIds.slice(0, 4), unknownSku],
    seed: 21,
    transactionPrefix: `SKU-${merchant.merchantId.slice(0, 6)}-`,
  });
  const badRows = csv.purchases.flatMap((p) => p.items.filter((i) => i.skuId === unknownSku));
  expect(badRows.length).toBeGreaterThan(0);
  await openFile(app, await app.writeFile('unknown-sku.csv', csv.csv));

  const chip = page.getByRole('button', { name: /Unknown SKU/ });
  await expect(chip).toContainText(String(badRows.length));
  await expect(page.locator('.figure--bad dd')).toHaveText(String(badRows.length));
  await app.shot('preview-errors');
  await page.emulateMedia({ colorScheme: 'dark' });
  await app.shot('preview-errors-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  await chip.click();
  await expect(page.getByRole('grid')).toHaveAttribute('aria-rowcount', String(badRows.length + 1));
  const flagged = page.locator('.cell--error').first();
  await expect(flagged).toHaveAttribute('title', /not a known SKU/);
  await flagged.click();
  await expect(page.locator('.issue-current')).toContainText('Unknown SKU');
  await app.shot('preview-unknown-sku-filter');

  await page.locator('.issue-current').getByRole('button', { name: 'Replace everywhere…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Replace everywhere' });
  await expect(dialog).toContainText(unknownSku);
  await dialog.getByRole('searchbox').fill('Product 3');
  await dialog.locator('.pick', { hasText: 'SKU-3' }).click();
  await app.shot('replace-dialog');
  await dialog.getByRole('button', { name: 'Replace everywhere' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.locator('.toast').first()).toContainText(`Replaced in ${badRows.length} rows`);
  await expect(page.locator('.figure--good dd')).toHaveText('0');
  await expect(page.getByRole('grid')).toHaveCount(0); // the filter is now empty
  await expect(page.locator('.grid-empty')).toContainText('No rows match this filter');
  await app.shot('preview-fixed');

  await page.getByRole('button', { name: 'Continue to import →' }).click();
  await page.locator('#commit-button').click();
  await expect(page.getByRole('heading', { name: 'Import completed' })).toBeVisible();

  const sku3 = await app.db.pool.query<{ id: string }>(
    "select id from public.skus where merchant_id = $1 and code = 'SKU-3'",
    [merchant.merchantId],
  );
  const items = await app.db.pool.query<{ n: number }>(
    `select count(*)::int as n from public.purchase_items i join public.purchases p on p.id = i.purchase_id
     where p.merchant_id = $1 and i.sku_id = $2`,
    [merchant.merchantId, sku3.rows[0]?.id],
  );
  expect(items.rows[0]?.n ?? 0).toBeGreaterThanOrEqual(badRows.length);
});
