import { generatePurchases } from '../fixtures/generate-purchases';
import { chooseMerchant, expect, openFile, test } from './support/fixtures';

test('a CSV dropped onto the window opens; an item with no file on disk is refused', async ({
  app,
}) => {
  // Electron gives a synthetic File no disk path (webUtils answers ''), so only the refusal
  // could be seen there; a real drag from a folder needs a person at the machine.
  test.skip(app.mode === 'electron', 'synthetic drops carry no disk path in Electron');
  const { page, merchant } = app;
  await chooseMerchant(app);
  const csv = generatePurchases({
    purchases: 15,
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: 5,
    transactionPrefix: `DROP-${merchant.merchantId.slice(0, 6)}-`,
  });
  const path = await app.writeFile('dropped.csv', csv.csv);
  await page.evaluate(
    ([name, diskPath]) => {
      (globalThis as unknown as { __piDropPaths: Record<string, string> }).__piDropPaths = {
        [name]: diskPath,
      };
    },
    ['dropped.csv', path] as const,
  );

  const drag = async (type: 'dragenter' | 'drop', name: string): Promise<void> => {
    const dataTransfer = await page.evaluateHandle((fileName) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['ignored'], fileName, { type: 'text/csv' }));
      return transfer;
    }, name);
    await page.dispatchEvent('body', type, { dataTransfer });
  };

  await drag('dragenter', 'dropped.csv');
  await expect(
    page.getByText('Drop the CSV file or Excel workbook (.xlsx) to open it'),
  ).toBeVisible();
  await app.shot('drop-overlay');
  await drag('drop', 'dropped.csv');
  await expect(
    page.getByText('Drop the CSV file or Excel workbook (.xlsx) to open it'),
  ).toBeHidden();
  const grid = page.getByRole('grid');
  await expect(grid).toHaveAttribute('aria-rowcount', String(csv.rows + 1));

  await drag('dragenter', 'elsewhere.csv');
  await drag('drop', 'elsewhere.csv');
  await expect(page.getByText('That item has no file on disk')).toBeVisible();
  // The open file is untouched by the refused drop.
  await expect(grid).toHaveAttribute('aria-rowcount', String(csv.rows + 1));
});

test('a commit cancelled while sending rows imports nothing and cannot be retried', async ({
  app,
}) => {
  const { page, merchant, db } = app;
  await chooseMerchant(app);
  // ~70k rows: 14 chunks, so there is time to press Cancel while they are sent.
  const csv = generatePurchases({
    purchases: 20_000,
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: 21,
    // Staged only once Import is pressed, so that Cancel meets the sending (a file whose rows of a
    // transaction are together would already be staged while it was read).
    rowsApart: true,
    transactionPrefix: `CANCEL-${merchant.merchantId.slice(0, 6)}-`,
  });
  const path = await app.writeFile('to-cancel.csv', csv.csv);
  await openFile(app, path);
  await expect(page.getByRole('grid')).toHaveAttribute('aria-rowcount', String(csv.rows + 1), {
    timeout: 60_000,
  });
  await page.getByRole('button', { name: 'Continue to import →' }).click();
  await page.locator('#batch-name').fill('E2E cancelled import');
  await page.locator('#commit-button').click();
  await expect(page.getByText('Sending rows to the database…')).toBeVisible({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Import cancelled' })).toBeVisible({
    timeout: 60_000,
  });
  await expect(page.locator('.result')).toContainText('marked cancelled');
  await app.shot('commit-cancelled');

  const counts = await db.pool.query<{ purchases: number; batches: string[] }>(
    `select (select count(*)::int from public.purchases where merchant_id = $1) as purchases,
            array(select status from public.bulk_import_batches where merchant_id = $1) as batches`,
    [merchant.merchantId],
  );
  expect(counts.rows[0]).toEqual({ purchases: 0, batches: ['cancelled'] });

  await page.getByRole('button', { name: 'Open in History' }).click();
  const detail = page.locator('.batch-detail');
  await expect(detail.locator('.status')).toHaveText('cancelled');
  await expect(detail).toContainText('Cancelled: Cancelled by');
  await expect(detail.getByRole('button', { name: 'Retry import' })).toHaveCount(0);
  await app.shot('history-cancelled');

  // Committing the same file again is a new batch, not the cancelled one.
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await page.locator('#commit-button').click();
  await expect(page.getByRole('heading', { name: 'Import completed' })).toBeVisible({
    timeout: 120_000,
  });
  const after = await db.pool.query<{ status: string; n: number }>(
    `select status, count(*)::int as n from public.bulk_import_batches where merchant_id = $1
     group by status order by status`,
    [merchant.merchantId],
  );
  expect(after.rows).toEqual([
    { status: 'cancelled', n: 1 },
    { status: 'completed', n: 1 },
  ]);
});
