import { stageWrongMerchantBatch } from '../support/failed-batch';
import { chooseMerchant, expect, test } from './support/fixtures';

// Support staff open a large failed batch (a file exported for the wrong merchant: 20 SKU ids
// unknown on every row) in History: the detail leads with the errors by cause, filters the row
// errors by one value, pages through them, re-checks by cause and exports them all.

const ROWS = 20_000;

test('a large failed batch in History: errors by cause, filtered, paged, re-checked', async ({
  app,
}) => {
  const { page, merchant, db } = app;
  const batch = await stageWrongMerchantBatch(db.pool, db.rpc, merchant, { rows: ROWS });
  expect(batch.failed.status).toBe('failed');

  await chooseMerchant(app);
  await page.getByRole('button', { name: 'History', exact: true }).click();
  await page.getByRole('button', { name: 'exported for the wrong merchant' }).click();
  const detail = page.locator('.batch-detail');
  await expect(detail.locator('.status--large')).toHaveText('failed');

  // The causes first: one cause, 20 values, every row.
  const causes = detail.getByRole('region', { name: 'Errors by cause' });
  await expect(causes).toContainText('20,000 rows');
  await expect(causes).toContainText('20 different values');
  await expect(detail).toContainText('Row errors (20,000)');
  await expect(detail.locator('.pager')).toContainText('Rows 1–100 of 20,000');
  await app.shot('history-large-failed');

  // One value: 1,000 rows of it, paged 100 at a time.
  const value = batch.failed.errorSummary[0]?.values[0]?.value ?? '';
  await causes.getByRole('button', { name: value }).click();
  await expect(detail).toContainText(`Row errors (1,000 · Unknown SKU · ${value})`);
  await expect(detail.locator('.pager')).toContainText('Rows 1–100 of 1,000');
  await detail.getByRole('button', { name: 'Next →' }).click();
  await expect(detail.locator('.pager')).toContainText('Rows 101–200 of 1,000');
  const rows = detail.locator('.table tbody tr');
  await expect(rows).toHaveCount(100);
  await expect(rows.first()).toContainText(value);
  await detail.getByRole('button', { name: '← Previous' }).click();
  await expect(detail.locator('.pager')).toContainText('Rows 1–100 of 1,000');
  await app.shot('history-large-failed-filtered');

  // Five of the SKUs are added: the re-check says which values are resolved.
  const added = batch.unknownSkuIds.slice(0, 5);
  await db.pool.query(
    `insert into public.skus (id, merchant_id, name)
     select id, $2, 'added by support' from unnest($1::uuid[]) as id`,
    [added, merchant.merchantId],
  );
  await detail.getByRole('button', { name: 'Re-check against current data' }).click();
  const callout = detail.locator('.callout--warning[role="status"]');
  await expect(callout).toContainText('15,000 rows refused: 15 unknown SKU ids');
  for (const id of added) await expect(callout).toContainText(id);
  await app.shot('history-large-failed-rechecked');
});
