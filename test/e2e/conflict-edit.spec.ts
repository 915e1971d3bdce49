import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chooseMerchant, expect, openFile, test } from './support/fixtures';

test('conflicting transaction: fixed by editing a cell, with undo/redo, exports, commit', async ({
  app,
}) => {
  const { page, merchant } = app;
  await chooseMerchant(app);
  const [userA, userB] = merchant.userIds;
  const [sku1, sku2] = merchant.skuIds;
  const tag = merchant.merchantId.slice(0, 6);
  const csv = [
    'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price,notes',
    `C-${tag}-1,${userA},2026-03-04T10:15:00+01:00,${sku1},1,4.50,=HYPERLINK("x")`,
    `C-${tag}-1,${userB},2026-03-04T10:15:00+01:00,${sku2},2,3.00,`,
    `C-${tag}-2,${userB},2026-03-05T09:00:00Z,${sku1},1,4.50,`,
  ].join('\n');
  await openFile(app, await app.writeFile('conflict.csv', csv));

  await expect(page.getByRole('button', { name: /Conflicting transaction/ })).toBeVisible();
  await page.getByRole('button', { name: '↓ Next error' }).click();
  await expect(page.locator('.issue-current')).toContainText('Row 3');
  await expect(page.locator('.issue-current')).toContainText(
    'all rows of a transaction must agree',
  );
  await app.shot('preview-conflict');

  // Export the error rows before fixing: formula-looking cells are neutralised.
  const errorsPath = join(app.dataDir, 'files', 'conflict-errors.csv');
  await app.answerSaveDialog(errorsPath);
  await page.getByRole('button', { name: 'Export error rows…' }).click();
  await expect(page.locator('.toast').last()).toContainText('Exported 1 error row');
  const exported = await readFile(errorsPath, 'utf8');
  expect(exported).toContain('inconsistent_purchase');

  // Keyboard: the grid has the cell; Enter edits it.
  const cell = page.locator('#cell-1-2');
  await expect(cell).toHaveAttribute('aria-invalid', 'true');
  await page.getByRole('grid').focus();
  await page.keyboard.press('Enter');
  const editor = page.getByRole('textbox', { name: 'Edit user_id' });
  await editor.fill(userA ?? '');
  await app.shot('preview-editing');
  await editor.press('Enter');
  await expect(page.locator('.figure--good dd')).toHaveText('0');
  await expect(page.locator('#cell-1-2')).not.toHaveAttribute('aria-invalid', 'true');

  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page.locator('.figure--bad dd')).toHaveText('1');
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(page.locator('.figure--good dd')).toHaveText('0');

  const fixedPath = join(app.dataDir, 'files', 'conflict-fixed.csv');
  await app.answerSaveDialog(fixedPath);
  await page.getByRole('button', { name: 'Save fixed file…' }).click();
  await expect(page.locator('.toast').last()).toContainText('Saved 3 rows');
  const fixed = await readFile(fixedPath, 'utf8');
  expect(fixed.split('\r\n')[2]).toContain(userA);
  // Data to import again: written as it is, so it reads back the same (the error export is the
  // one that neutralises formulas, for people to open in a spreadsheet).
  expect(fixed).toContain(`"=HYPERLINK(""x"")"`);

  await page.getByRole('button', { name: 'Continue to import →' }).click();
  await page.locator('#commit-button').click();
  await expect(page.getByRole('heading', { name: 'Import completed' })).toBeVisible();
  await expect(page.locator('.result')).toContainText('Imported 2 purchases (3 items)');
});
