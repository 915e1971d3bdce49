import { randomUUID } from 'node:crypto';
import { toStagedChunk } from '../../shared/db/staging';
import { buildPurchases } from '../support/seed';
import { chooseMerchant, expect, test } from './support/fixtures';

test('an open batch left behind: found in History and cancelled there', async ({ app }) => {
  const { page, merchant, db } = app;
  // A file staged while it was read, whose import never finished (the app was killed): an open
  // batch, begun without totals, with one chunk of 4 purchases of three items staged.
  const purchases = buildPurchases(merchant, 4, { prefix: `C${randomUUID().slice(0, 6)}` });
  const batch = await db.rpc.call('import_begin_batch', {
    p_merchant_id: merchant.merchantId,
    p_idempotency_key: randomUUID(),
    p_name: 'Left open by a crash',
    p_file_name: 'crashed.csv',
    p_file_sha256: null,
    p_total_rows: null,
    p_chunk_count: null,
  });
  await db.rpc.call('import_stage_chunk', {
    p_batch_id: batch.id,
    p_chunk_no: 0,
    p_rows: toStagedChunk(purchases),
  });

  await chooseMerchant(app);
  await page.getByRole('button', { name: 'History', exact: true }).click();
  await page.getByRole('button', { name: 'Left open by a crash' }).click();
  const detail = page.locator('.batch-detail');
  await expect(detail.locator('.status--large')).toHaveText('pending');
  await expect(detail.locator('.callout--warning')).toContainText(
    'cancel it and import the file again',
  );
  await app.shot('history-open-batch');

  // The confirmation names what is dropped; declining changes nothing.
  const asked: string[] = [];
  page.once('dialog', (dialog) => {
    asked.push(dialog.message());
    void dialog.dismiss();
  });
  await detail.getByRole('button', { name: 'Cancel this import' }).click();
  await expect
    .poll(() => asked)
    .toEqual([
      'Cancel this import? Its 12 staged rows are dropped and it never imports. A file still open for review imports as a new batch.',
    ]);
  await expect(detail.locator('.status--large')).toHaveText('pending');

  page.once('dialog', (dialog) => void dialog.accept());
  await detail.getByRole('button', { name: 'Cancel this import' }).click();
  await expect(detail.locator('.status--large')).toHaveText('cancelled');
  await expect(detail.getByRole('button', { name: 'Cancel this import' })).toHaveCount(0);
  await expect(page.locator('.toast').last()).toContainText(
    `Batch ${batch.id} "Left open by a crash" was cancelled before its commit step: nothing was imported.`,
  );
  await expect(page.locator('table.batches tbody tr').first()).toContainText('cancelled');
  await app.shot('history-open-batch-cancelled');

  const left = await db.pool.query<{ status: string; staged: number }>(
    `select b.status, (select count(*)::int from public.bulk_import_staged_rows s
       where s.batch_id = b.id) as staged
     from public.bulk_import_batches b where b.id = $1`,
    [batch.id],
  );
  expect(left.rows).toEqual([{ status: 'cancelled', staged: 0 }]);
});
