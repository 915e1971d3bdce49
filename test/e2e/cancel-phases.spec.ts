import { join } from 'node:path';
import { generatePurchases, writePurchasesCsv } from '../fixtures/generate-purchases';
import { chooseMerchant, expect, openFile, test, type ConsoleApp } from './support/fixtures';

// Issue 18: Cancel works at every phase until the commit: while the file is read, while it is
// checked against the database, and while its rows are staged. Each cancelled open leaves no
// file open, and the next file opens as usual. The check phase is held by a table lock so that
// Cancel lands in it for sure: before the fix, Cancel there waited for the database's answer.

test.describe.configure({ mode: 'default' });

const progress = (app: ConsoleApp) => app.page.locator('.progress-panel');

async function cancelOpen(app: ConsoleApp): Promise<void> {
  await progress(app).getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(app.page.getByText('Opening the file was cancelled.')).toBeVisible();
  await expect(progress(app)).toHaveCount(0);
  await expect(app.page.getByRole('grid')).toHaveCount(0);
}

/** A small file opens after a cancelled one: the cancelled open left nothing behind. */
async function opensNext(app: ConsoleApp, name: string): Promise<void> {
  const csv = generatePurchases({
    purchases: 12,
    userIds: app.merchant.userIds,
    skuIds: app.merchant.skuIds,
    seed: 9,
    transactionPrefix: `NEXT-${app.merchant.merchantId.slice(0, 6)}-`,
  });
  await openFile(app, await app.writeFile(name, csv.csv));
  await expect(app.page.getByRole('grid')).toHaveAttribute('aria-rowcount', String(csv.rows + 1));
  await expect(app.page.getByText(name)).toBeVisible();
}

test('Cancel while the file is being read: nothing opens', async ({ app }) => {
  const { page, merchant } = app;
  await chooseMerchant(app);
  const path = join(app.dataDir, 'files', 'reading.csv');
  await writePurchasesCsv(path, {
    rows: 400_000,
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: 31,
    transactionPrefix: `READ-${merchant.merchantId.slice(0, 6)}-`,
  });
  await openFile(app, path);
  // "12,345 rows · 1.2 MB of 55 MB": bytes are still coming.
  await expect(page.locator('.progress-panel [role="status"]')).toHaveText(/rows? · .+ of /, {
    timeout: 60_000,
  });
  await app.shot('cancel-reading');
  await cancelOpen(app);
  await opensNext(app, 'after-reading.csv');
});

test('Cancel while the database checks the file: answered at once, nothing opens', async ({
  app,
}) => {
  const { page, merchant, db } = app;
  await chooseMerchant(app);
  const path = join(app.dataDir, 'files', 'checking.csv');
  await writePurchasesCsv(path, {
    rows: 20_000,
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: 32,
    transactionPrefix: `CHK-${merchant.merchantId.slice(0, 6)}-`,
  });
  // The check reads user_accounts: an exclusive lock holds it until the test lets go.
  const lock = await db.pool.connect();
  try {
    await lock.query('begin');
    await lock.query('lock table public.user_accounts in access exclusive mode');
    await openFile(app, path);
    await expect(page.locator('.progress-panel [role="status"]')).toHaveText(
      /against the database/,
      { timeout: 60_000 },
    );
    await expect(page.locator('.progress-panel h1')).toHaveText(/^Checking/);
    await app.shot('cancel-checking');
    // While the database has not answered yet.
    await cancelOpen(app);
  } finally {
    await lock.query('rollback').catch(() => undefined);
    lock.release();
  }
  // The database's late answer to the cancelled open changes nothing.
  await opensNext(app, 'after-checking.csv');
});

test('Cancel while rows are staged: the batch is cancelled, nothing is imported', async ({
  app,
}) => {
  const { page, merchant, db } = app;
  await chooseMerchant(app);
  // ~70k rows: 14 chunks, time to press Cancel while they are sent.
  const csv = generatePurchases({
    purchases: 20_000,
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: 33,
    // Staged only once Import is pressed, so that Cancel meets the sending (a file whose rows of a
    // transaction are together would already be staged while it was read).
    rowsApart: true,
    transactionPrefix: `STG-${merchant.merchantId.slice(0, 6)}-`,
  });
  await openFile(app, await app.writeFile('staging.csv', csv.csv));
  await expect(page.getByRole('grid')).toHaveAttribute('aria-rowcount', String(csv.rows + 1), {
    timeout: 60_000,
  });
  await page.getByRole('button', { name: 'Continue to import →' }).click();
  await page.locator('#commit-button').click();
  await expect(page.getByText('Sending rows to the database…')).toBeVisible({ timeout: 30_000 });
  await app.shot('cancel-staging');
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Import cancelled' })).toBeVisible({
    timeout: 60_000,
  });
  const counts = await db.pool.query<{ purchases: number; batches: string[] }>(
    `select (select count(*)::int from public.purchases where merchant_id = $1) as purchases,
            array(select status from public.bulk_import_batches where merchant_id = $1) as batches`,
    [merchant.merchantId],
  );
  expect(counts.rows[0]).toEqual({ purchases: 0, batches: ['cancelled'] });
});
