import { shopifyOrdersCsv, type ShopifyOrder } from '../fixtures/shopify-orders';
import { chooseMerchant, expect, openFile, test } from './support/fixtures';

// Issue 13 in the app: a web-shop orders export (members by e-mail, SKUs by code, order fields on
// each order's first row only) opened as it is, mapped with the shipped preset, previewed with
// what each key resolved to, and committed.

test('a Shopify orders export: pick the preset, see resolved names, commit', async ({ app }) => {
  const { page, merchant } = app;
  await chooseMerchant(app);
  await app.db.pool.query(
    `update public.user_accounts set display_name = 'Alice Martin' where id = $1`,
    [merchant.userIds[0]],
  );
  const tag = merchant.merchantId.slice(0, 6);
  const orders: ShopifyOrder[] = [
    {
      name: `#${tag}-1001`,
      email: ' USER1@Example.TEST',
      paidAt: '2026-03-04 10:15:00 +0100',
      currency: 'EUR',
      shippingCents: 490,
      taxCents: 300,
      discountCents: 150,
      items: [
        { sku: 'SKU-1', name: 'Mug', quantity: 2, priceCents: 1250 },
        { sku: 'SKU-2', name: 'Beans', quantity: 1, priceCents: 2490 },
      ],
    },
    {
      name: `#${tag}-1002`,
      email: 'user2@example.test',
      paidAt: '2026-03-05 18:00:00 +0100',
      currency: 'EUR',
      shippingCents: 0,
      taxCents: 0,
      discountCents: 0,
      items: [{ sku: 'SKU-1', name: 'Mug', quantity: 1, priceCents: 1250 }],
    },
  ];
  const path = await app.writeFile('orders_export_1.csv', shopifyOrdersCsv(orders));
  await openFile(app, path);

  await expect(
    page.getByRole('heading', { name: /Map the columns of orders_export_1.csv/ }),
  ).toBeVisible();
  await page
    .getByLabel('Use a saved template')
    .selectOption({ label: 'Shopify orders export (preset)' });
  await expect(page.getByLabel('Header for transaction_number')).toHaveValue('Name');
  await expect(page.getByLabel('Header for user_email')).toHaveValue('Email');
  await expect(page.getByLabel('Header for sku_code')).toHaveValue('Lineitem sku');
  await expect(page.getByLabel('Header for total_amount')).toHaveValue('');
  await expect(page.getByTestId('preset-note')).toContainText('Total');
  await expect(page.getByLabel('Order fields on first row only')).toBeChecked();
  // The preset chose every column: nothing is left "to check" or "not recognised".
  await expect(page.getByText('Suggested — please check.')).toHaveCount(0);
  await expect(page.getByText(/were not recognised/)).toHaveCount(0);
  await app.shot('natural-keys-mapping');
  await page.getByRole('button', { name: 'Continue' }).click();

  const grid = page.getByRole('grid');
  await expect(grid).toHaveAttribute('aria-rowcount', '4');
  await expect(page.locator('.figure--good dd')).toHaveText('0');
  // Each key shows the member or SKU it resolved to.
  // (Filled down: the order's second row shows the e-mail of its first.)
  await expect(grid.getByText('USER1@Example.TEST → Alice Martin')).toHaveCount(2);
  await expect(grid.getByText('user2@example.test → user2@example.test')).toBeVisible();
  await expect(grid.getByText('SKU-2 → Product 2')).toBeVisible();
  await expect(grid.getByText('SKU-1 → Product 1')).toHaveCount(2);
  await app.shot('natural-keys-preview');

  await page.getByRole('button', { name: 'Continue to import →' }).click();
  await page.locator('#batch-name').fill('Shopify export');
  await page.locator('#commit-button').click();
  await expect(page.getByRole('heading', { name: 'Import completed' })).toBeVisible();
  await expect(page.locator('.result')).toContainText('Imported 2 purchases');

  const imported = await app.db.pool.query<{
    transaction_number: string;
    user_id: string;
    total_amount: string;
    items: number;
  }>(
    `select p.transaction_number, p.user_id, p.total_amount::text,
            (select count(*)::int from public.purchase_items i where i.purchase_id = p.id) as items
     from public.purchases p where p.merchant_id = $1 order by p.transaction_number`,
    [merchant.merchantId],
  );
  expect(imported.rows).toEqual([
    {
      transaction_number: `#${tag}-1001`,
      user_id: merchant.userIds[0],
      total_amount: '49.90',
      items: 2,
    },
    {
      transaction_number: `#${tag}-1002`,
      user_id: merchant.userIds[1],
      total_amount: '12.50',
      items: 1,
    },
  ]);
});
