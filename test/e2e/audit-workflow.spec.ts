import { defectsCsv } from './support/defects';
import { chooseMerchant, expect, openFile, test } from './support/fixtures';

// The whole fix workflow, end to end: a defective file, a bulk delete, the rest of the errors left
// out, the commit, then History: the batch's detail says what was changed before the import (from
// the database, so on any machine) and the overview counts it.

test('defective file → bulk delete → leave out the rest → commit → the audit trail in History', async ({
  app,
}) => {
  const { page } = app;
  await chooseMerchant(app);
  const tag = app.merchant.merchantId.slice(0, 6);
  const { csv } = defectsCsv(app.merchant, tag);
  await openFile(app, await app.writeFile('till-export.csv', csv));
  await expect(page.getByRole('grid')).toBeVisible();

  // Delete the row with a fractional quantity, then leave out every transaction with errors.
  await page.getByRole('button', { name: /Not a whole number/ }).click();
  await page.getByRole('button', { name: /Delete every row with this problem \(1\)/ }).click();
  await expect(page.locator('.toast').last()).toContainText('Deleted 1 row');
  await page.getByRole('button', { name: 'Leave out transactions with errors…' }).click();
  const dialog = page.getByRole('dialog', { name: /Leave out 9 transactions with errors/ });
  await dialog
    .getByRole('button', { name: /Leave out 9 transactions and import the rest/ })
    .click();
  await expect(dialog).toBeHidden();
  await page.getByRole('button', { name: 'Continue to import →' }).click();
  await page.locator('#commit-button').click();
  await expect(page.getByRole('heading', { name: 'Import completed' })).toBeVisible();

  // History, from the database: 3 rows imported from a file of 15, and why.
  await page.getByRole('button', { name: 'History', exact: true }).click();
  const overview = page.getByRole('region', { name: 'Overview' });
  await expect(overview).toContainText('Imports1');
  await expect(overview).toContainText('100 %');
  await page.locator('table.batches tbody tr').first().getByRole('button').click();
  const changes = page.getByRole('region', { name: 'Changes before import' });
  await expect(changes).toContainText('The file till-export.csv had 15 rows.');
  await expect(changes).toContainText('1 row deleted');
  await expect(changes).toContainText('11 rows left out (9 transactions with errors)');
  await expect(changes).toContainText('Deleted 1 row with “Not a whole number”');
  await app.shot('history-audit-trail');

  await app.answerSaveDialog(await app.writeFile('changes.csv', ''));
  await page.getByRole('button', { name: 'Export changes…' }).click();
  await expect(page.locator('.toast').last()).toContainText('Exported 3 changes');
});
