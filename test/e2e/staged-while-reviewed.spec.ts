import { generatePurchases } from '../fixtures/generate-purchases';
import { chooseMerchant, expect, openFile, test, watchCommitPanel } from './support/fixtures';

// Issue 14 in the app: a file of 2 MB or more that can be imported as read is sent to the
// database while its admin reviews it, so Import only seals and commits it: the commit panel
// starts with every row already sent, and History shows the batch under the name typed at Import.

test('a file reviewed as read: its rows are sent meanwhile, Import only commits', async ({
  app,
}) => {
  const { page, merchant, db } = app;
  await chooseMerchant(app);
  const csv = generatePurchases({
    purchases: 10_000, // ~35k rows, ~3 MB
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: 14,
    transactionPrefix: `REV-${merchant.merchantId.slice(0, 6)}-`,
  });
  await openFile(app, await app.writeFile('reviewed.csv', csv.csv));
  await expect(page.getByRole('grid')).toHaveAttribute('aria-rowcount', String(csv.rows + 1), {
    timeout: 60_000,
  });
  // While the admin looks at the preview, every row lands in one open batch.
  const staged = async () =>
    (
      await db.pool.query<{ open: boolean; rows: number }>(
        `select b.total_rows is null as open,
           (select count(*)::int from public.bulk_import_staged_rows s where s.batch_id = b.id)
             as rows
         from public.bulk_import_batches b where b.merchant_id = $1`,
        [merchant.merchantId],
      )
    ).rows;
  await expect.poll(staged, { timeout: 30_000 }).toEqual([{ open: true, rows: csv.rows }]);

  await page.getByRole('button', { name: 'Continue to import →' }).click();
  // The admin is told, before pressing Import, that the rows are already there (and nothing is
  // imported yet).
  await expect(page.locator('#sent-while-reviewed')).toHaveText(
    `All ${csv.rows.toLocaleString('en-US')} rows were sent to the database while you reviewed ` +
      'the file: Import only has to commit them. Nothing is imported until you press Import.',
  );
  await page.locator('#batch-name').fill('E2E reviewed file');
  await app.shot('commit-ready-reviewed');
  const commitPanel = await watchCommitPanel(page);
  await page.locator('#commit-button').click();
  await expect(page.getByRole('heading', { name: 'Import completed' })).toBeVisible({
    timeout: 60_000,
  });
  const seen = await commitPanel();
  // Nothing left to send: no count of rows sent below the file's.
  const rows = csv.rows.toLocaleString('en-US');
  for (const text of seen.filter((s) => s.includes('Sending rows'))) {
    expect(text).toContain(`${rows} of ${rows} rows`);
  }
  await app.shot('commit-done-reviewed');

  const batches = await db.pool.query<{ name: string; status: string; totalRows: number }>(
    `select batch_name as name, status, total_rows as "totalRows"
     from public.bulk_import_batches where merchant_id = $1`,
    [merchant.merchantId],
  );
  expect(batches.rows).toEqual([
    { name: 'E2E reviewed file', status: 'completed', totalRows: csv.rows },
  ]);
  await page.getByRole('button', { name: 'Open in History' }).click();
  await expect(page.locator('.batch-detail')).toContainText('E2E reviewed file');
  await expect(page.locator('.batch-detail .status')).toHaveText('completed');
});
