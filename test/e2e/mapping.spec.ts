import { generatePurchases } from '../fixtures/generate-purchases';
import { chooseMerchant, expect, openFile, test } from './support/fixtures';

test('column mapping: unknown headers are mapped by hand, saved as a template, reused', async ({
  app,
}) => {
  const { page, merchant } = app;
  await chooseMerchant(app);
  const generated = generatePurchases({
    purchases: 8,
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: 31,
    transactionPrefix: `MAP-${merchant.merchantId.slice(0, 6)}-`,
  });
  const lines = generated.csv.split('\n');
  lines[0] = 'Txn,Customer ID,Date,Item Ref,Qty,Price,Currency,Total,Store,Remarks';
  const path = await app.writeFile('till-export.csv', lines.join('\n'));
  await openFile(app, path);

  await expect(
    page.getByRole('heading', { name: /Map the columns of till-export.csv/ }),
  ).toBeVisible();
  await expect(page.getByLabel('Header for transaction_number')).toHaveValue('Txn');
  await expect(page.getByLabel('Header for sku_id')).toHaveValue('');
  await expect(page.getByRole('button', { name: 'Continue' })).toBeDisabled();
  await app.shot('mapping');
  await page.getByLabel('Header for sku_id').selectOption('Item Ref');
  await page.getByLabel('Save as a template for files with these headers').check();
  await page.getByLabel('Template name').fill('Till export');
  await page.getByRole('button', { name: 'Continue' }).click();

  await expect(page.getByRole('grid')).toHaveAttribute('aria-rowcount', String(generated.rows + 1));
  await expect(page.locator('.figure--good dd')).toHaveText('0');

  // The next file with these headers opens straight into the preview.
  await page.getByRole('button', { name: 'Close file' }).click();
  await openFile(app, path);
  await expect(page.getByRole('grid')).toBeVisible();
  await expect(page.locator('.figure--good dd')).toHaveText('0');
});
