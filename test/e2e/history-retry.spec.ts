import { randomUUID } from 'node:crypto';
import { beginAndStage, buildRows, countImported } from '../support/seed';
import { chooseMerchant, expect, test } from './support/fixtures';

test('failed batch: found in History, re-checked against current data, retried', async ({
  app,
}) => {
  const { page, merchant, db } = app;
  // A batch from "last week" that failed: one of its SKUs did not exist yet.
  const rows = buildRows(merchant, { purchases: 6, itemsPerPurchase: 2, withTotals: true });
  const lateSku = randomUUID();
  const target = rows[3];
  if (!target) throw new Error('no row');
  target.sku_id = lateSku;
  const { batchId } = await beginAndStage(db.rpc, merchant, rows, {
    name: 'Till export last week',
    fileName: 'till-last-week.csv',
  });
  const failed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
  expect(failed.status).toBe('failed');
  // A clean batch too, so the list has something to filter out.
  const other = buildRows(merchant, { purchases: 2, itemsPerPurchase: 1 });
  const { batchId: okId } = await beginAndStage(db.rpc, merchant, other, { name: 'Good batch' });
  await db.rpc.call('import_commit_batch', { p_batch_id: okId });

  await chooseMerchant(app);
  await page.getByRole('button', { name: 'History', exact: true }).click();
  await expect(page.locator('table.batches tbody tr')).toHaveCount(2);
  await page.locator('#status-filter').selectOption('failed');
  await expect(page.locator('table.batches tbody tr')).toHaveCount(1);
  await page.getByRole('button', { name: 'Till export last week' }).click();
  const detail = page.locator('.batch-detail');
  await expect(detail.locator('.status--large')).toHaveText('failed');
  await expect(detail).toContainText('Unknown SKU');
  await expect(detail).toContainText(lateSku);
  await app.shot('history-failed');

  // Re-check before anything changed: still failing.
  await detail.getByRole('button', { name: 'Re-check against current data' }).click();
  await expect(detail.locator('.callout--warning')).toContainText(
    '1 row refused: 1 unknown SKU id',
  );

  // The SKU is created in the CRM meanwhile.
  await db.pool.query(
    "insert into public.skus (id, merchant_id, code, name) values ($1, $2, 'SKU-LATE', 'Late product')",
    [lateSku, merchant.merchantId],
  );
  await detail.getByRole('button', { name: 'Re-check against current data' }).click();
  await expect(detail.locator('.callout--success')).toContainText('every error is resolved');
  await expect(detail.locator('.callout--success')).toContainText(`sku_id ${lateSku} (1 row)`);
  await expect(detail.locator('.tag--success')).toHaveText('resolved');
  await app.shot('history-rechecked');

  await detail.getByRole('button', { name: 'Retry import' }).click();
  await expect(detail.locator('.status--large')).toHaveText('completed');
  await expect(detail).toContainText('6 purchases, 12 items');
  // The outcome in the same words as the command line's (one describeBatch for both doors).
  await expect(page.locator('.toast').last()).toContainText(
    `Retry completed: imported 6 purchases (12 items) as batch ${batchId}`,
  );
  await app.shot('history-retried');
  expect(await countImported(db.pool, batchId)).toEqual({ purchases: 6, items: 12 });
});
