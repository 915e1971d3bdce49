import type { Page } from '@playwright/test';
import type { Api } from '../../shared/ipc/api';
import { defectsCsv } from './support/defects';
import { chooseMerchant, expect, openFile, test, type ConsoleApp } from './support/fixtures';

// Issue 11: the admin's fix workflow, one test per problem found, each written against the
// behaviour the issue describes (they failed on the code before the fix).

async function openDefects(app: ConsoleApp): Promise<{ good: string[]; tag: string }> {
  await chooseMerchant(app);
  const tag = app.merchant.merchantId.slice(0, 6);
  const { csv, good } = defectsCsv(app.merchant, tag);
  await openFile(app, await app.writeFile('defects.csv', csv));
  await expect(app.page.getByRole('grid')).toBeVisible();
  return { good, tag };
}

function errorRowsFigure(page: Page) {
  return page.locator('.summary .figures > div', { hasText: 'Rows with errors' }).locator('dd');
}

test('problem 1: an emptied filter never claims "nothing to fix" while errors remain', async ({
  app,
}) => {
  const { page } = app;
  await openDefects(app);
  const before = Number(await errorRowsFigure(page).textContent());
  expect(before).toBeGreaterThan(5);
  const continueButton = page.getByRole('button', { name: 'Continue to import →' });
  await expect(continueButton).toBeDisabled();

  await page.getByRole('button', { name: /Unknown SKU/ }).click();
  await page.locator('.cell--error').first().click();
  await page.locator('.issue-current').getByRole('button', { name: 'Replace everywhere…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Replace everywhere' });
  await dialog.getByRole('searchbox').fill('Product 3');
  await dialog.locator('.pick', { hasText: 'SKU-3' }).click();
  await dialog.getByRole('button', { name: 'Replace everywhere' }).click();
  await expect(dialog).toBeHidden();

  await expect(page.locator('.grid-empty')).toContainText('No rows match this filter');
  const remaining = before - 1;
  await expect(errorRowsFigure(page)).toHaveText(String(remaining));
  const panel = page.locator('.issue-all');
  await expect(panel).not.toContainText('Nothing to fix');
  await expect(panel).toContainText(`${remaining} rows still have other errors`);
  await expect(page.locator('.grid-empty')).toContainText(`${remaining} rows still have`);
  // The step bar does not tick "Review and fix", and the way forward is not a dead end.
  await expect(page.locator('.step', { hasText: 'Review and fix' })).not.toHaveClass(/step--done/);
  await expect(continueButton).toBeDisabled();
  await app.shot('fix-filter-emptied');
  await page.getByRole('button', { name: `Show the ${remaining} rows with errors` }).click();
  await expect(page.getByRole('grid')).toHaveAttribute('aria-rowcount', String(remaining + 1));
});

test('problem 2: bulk delete by problem, row selection, leave out the rest; one toast each, undoable', async ({
  app,
}) => {
  const { page, merchant } = app;
  const { good, tag } = await openDefects(app);
  const grid = page.getByRole('grid');

  // Delete every row with one problem: one action, one toast, one undo step.
  await page.getByRole('button', { name: /Not a whole number/ }).click();
  await page.getByRole('button', { name: /Delete every row with this problem \(1\)/ }).click();
  await expect(page.locator('.toast')).toHaveCount(1);
  await expect(page.locator('.toast')).toContainText('Deleted 1 row');
  await expect(page.locator('#row-filter')).toHaveValue('errors'); // what is left, not nothing
  const afterDelete = Number(await errorRowsFigure(page).textContent());
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(errorRowsFigure(page)).toHaveText(String(afterDelete + 1));

  // Selection: click, Shift+click a range, Ctrl/Cmd+A within the filter.
  await page.locator('#row-filter').selectOption('errors');
  const errorRows = afterDelete + 1;
  await expect(grid).toHaveAttribute('aria-rowcount', String(errorRows + 1));
  await page.locator('#cell-0-0').click();
  await page.locator('#cell-2-0').click({ modifiers: ['Shift'] });
  const bar = page.getByRole('region', { name: 'Selected rows' });
  await expect(bar).toContainText('3 rows selected');
  await expect(grid.locator('[role="row"][aria-selected="true"]')).toHaveCount(3);
  await page.locator('#cell-4-0').click({ modifiers: ['ControlOrMeta'] });
  await expect(bar).toContainText('4 rows selected');
  await grid.focus();
  await page.keyboard.press('ControlOrMeta+a');
  await expect(bar).toContainText(`${errorRows} rows selected`);
  await page.keyboard.press('Escape');
  await expect(bar).toBeHidden();
  // The keyboard alone: Shift+Down extends, Space toggles the active row.
  await page.locator('#cell-0-1').click();
  await grid.press('Shift+ArrowDown');
  await grid.press('Shift+ArrowDown');
  await expect(bar).toContainText('3 rows selected');
  await grid.press('Space');
  await expect(bar).toContainText('2 rows selected');
  await grid.press('Escape');
  await expect(bar).toBeHidden();
  await page.locator('#cell-0-0').click();
  await page.locator('#cell-1-0').click({ modifiers: ['Shift'] });
  await bar.getByRole('button', { name: 'Delete these 2 rows' }).click();
  await expect(page.locator('.toast').last()).toContainText('Deleted 2 rows');
  await expect(errorRowsFigure(page)).toHaveText(String(errorRows - 2));
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(errorRowsFigure(page)).toHaveText(String(errorRows));
  await app.shot('fix-selection');

  // Leave out every transaction with an error, after a confirmation naming them.
  await page.getByRole('button', { name: 'Leave out transactions with errors…' }).click();
  const dialog = page.getByRole('dialog', { name: /Leave out 10 transactions with errors/ });
  await expect(dialog).toBeVisible();
  for (const n of [1002, 1003, 1004, 1011]) await expect(dialog).toContainText(`FIX-${tag}-${n}`);
  await expect(dialog).not.toContainText(good[0] ?? 'never');
  await expect(dialog).toContainText('2 purchases in 3 rows');
  await app.shot('fix-leave-out-dialog');
  await dialog
    .getByRole('button', { name: /Leave out 10 transactions and import the rest/ })
    .click();
  await expect(dialog).toBeHidden();
  await expect(page.locator('.toast').last()).toContainText(
    'Left out 10 transactions with errors (12 rows)',
  );
  await expect(errorRowsFigure(page)).toHaveText('0');
  await expect(page.locator('.preview-head')).toContainText(
    '15 rows in the file · 12 rows removed · 3 rows left',
  );
  const trail = await page.evaluate(() =>
    (window as unknown as { api: Pick<Api, 'importAudit'> }).api.importAudit(),
  );
  expect(trail?.totals).toMatchObject({ transactionsLeftOut: 10, rowsLeftOut: 12 });
  expect(trail?.file.rows).toBe(15);

  const continueButton = page.getByRole('button', { name: 'Continue to import →' });
  await expect(continueButton).toBeEnabled();
  await expect(page.locator('.step', { hasText: 'Review and fix' })).toContainText('ready');
  await continueButton.click();
  await expect(page.getByRole('note')).toContainText(
    '10 transactions with errors left out (12 rows). The file had 15 rows',
  );
  await page.locator('#commit-button').click();
  await expect(page.getByRole('heading', { name: 'Import completed' })).toBeVisible();
  const imported = await app.db.pool.query<{ transaction_number: string }>(
    'select transaction_number from public.purchases where merchant_id = $1 order by 1',
    [merchant.merchantId],
  );
  expect(imported.rows.map((r) => r.transaction_number)).toEqual(good);
});

test('problem 5: an edit is kept on blur and on Tab; Escape cancels', async ({ app }) => {
  const { page } = app;
  await openDefects(app);
  const quantity = page.locator('#cell-5-5'); // row 7 (FIX-1004), quantity 1.5
  await expect(quantity).toHaveText('1.5');
  await quantity.dblclick();
  const editor = page.getByRole('textbox', { name: 'Edit quantity' });
  await editor.fill('2');
  await page.locator('#cell-0-1').click(); // elsewhere
  await expect(quantity).toHaveText('2');
  await expect(quantity).not.toHaveAttribute('aria-invalid', 'true');

  await quantity.dblclick();
  await editor.fill('3');
  await editor.press('Tab');
  await expect(quantity).toHaveText('3');
  await expect(page.locator('#cell-5-6')).toHaveAttribute('aria-selected', 'true');

  await quantity.dblclick();
  await editor.fill('9');
  await editor.press('Escape');
  await expect(quantity).toHaveText('3');
  await expect(page.getByRole('grid')).toBeFocused();
});

test('problems 6 and 7: whole messages, toasts clear of the list, a dialog that keeps and returns focus', async ({
  app,
}) => {
  const { page } = app;
  await openDefects(app);
  const items = page.locator('.issue-all .issue-text');
  await expect(items.first()).toBeVisible();
  const clipped = await items.evaluateAll((els) =>
    els.filter((el) => el.scrollHeight > el.clientHeight + 1).map((el) => el.textContent),
  );
  expect(clipped).toEqual([]);
  const time = items.filter({ hasText: 'has no time zone' });
  await expect(time).toContainText('choose the time zone of the file');

  await page.getByRole('button', { name: /Unknown SKU/ }).click();
  await page.locator('.cell--error').first().click();
  const opener = page
    .locator('.issue-current')
    .getByRole('button', { name: 'Replace everywhere…' });
  await opener.click();
  const dialog = page.getByRole('dialog', { name: 'Replace everywhere' });
  await expect(dialog.getByRole('searchbox')).toBeFocused();
  let outside = 0;
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press(i % 7 === 6 ? 'Shift+Tab' : 'Tab');
    if (!(await dialog.evaluate((d) => d.contains(document.activeElement)))) outside++;
  }
  expect(outside).toBe(0);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();

  await opener.click();
  await dialog.getByRole('searchbox').fill('Product 3');
  await dialog.locator('.pick', { hasText: 'SKU-3' }).click();
  await dialog.getByRole('button', { name: 'Replace everywhere' }).click();
  await expect(dialog).toBeHidden();
  await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).not.toBe('BODY');

  // The toast does not cover the problem list.
  const toast = page.locator('.toast').first();
  await expect(toast).toBeVisible();
  const a = await toast.boundingBox();
  const b = await page.locator('.issue-panel').boundingBox();
  if (!a || !b) throw new Error('no boxes');
  const overlap =
    a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  expect(overlap).toBe(false);
});

test('problem 3: every setting a message names is on screen, and re-reads the file', async ({
  app,
}) => {
  const { page } = app;
  await openDefects(app);
  const settings = page.locator('.parse-settings');
  await expect(settings).toHaveAttribute('open', '');
  await expect(page.getByRole('button', { name: /Ambiguous date/ })).toBeVisible();
  await page.getByRole('combobox', { name: 'Date format', exact: true }).selectOption('dmy');
  await expect(page.getByRole('button', { name: /Ambiguous date/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /No time zone/ })).toBeVisible();
  await page.getByRole('combobox', { name: 'Time zone', exact: true }).fill('Europe/Paris');
  await settings.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByRole('button', { name: /No time zone/ })).toHaveCount(0);
  // A zone that does not exist is refused on the spot, not sent.
  await page.getByRole('combobox', { name: 'Time zone', exact: true }).fill('Europe/Pariss');
  await settings.getByRole('button', { name: 'Apply' }).click();
  await expect(settings.getByRole('alert')).toContainText('“Europe/Pariss” is not a time zone');
  // "12,50" (row 15) is a decimal comma only if the file says so: the setting re-reads it.
  const price = page.locator('#cell-13-6');
  await expect(price).toHaveAttribute('aria-invalid', 'true');
  const decimalComma = page.getByRole('checkbox', { name: 'Decimal comma', exact: true });
  await decimalComma.click();
  await expect(decimalComma).toBeChecked();
  await expect(price).not.toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('combobox', { name: 'Delimiter', exact: true })).toHaveValue(',');
  // Settings stay as chosen after each re-read.
  await expect(page.getByRole('combobox', { name: 'Date format', exact: true })).toHaveValue('dmy');
  await app.shot('fix-file-settings');
});

for (const size of [
  { width: 1280, height: 720 },
  { width: 1024, height: 700 },
]) {
  test(`problem 4: at ${size.width}x${size.height} the grid shows what matters and follows errors`, async ({
    app,
  }) => {
    const { page } = app;
    await page.setViewportSize(size);
    await openDefects(app);
    const grid = page.getByRole('grid');
    // Ids as people know them, the UUID on hover.
    const sku = page.locator('#cell-0-4');
    await expect(sku).toContainText('SKU-1 · Product 1');
    await expect(sku).toHaveAttribute('title', app.merchant.skuIds[0] ?? 'x');
    await expect(page.locator('#cell-0-2')).toContainText('@example.test');
    // Copy gives the UUID the file holds, not the name on screen.
    await sku.click();
    const copied = await page.evaluate(() => {
      const data = new DataTransfer();
      document
        .getElementById('grid')
        ?.dispatchEvent(new ClipboardEvent('copy', { clipboardData: data, bubbles: true }));
      return data.getData('text/plain');
    });
    expect(copied).toBe(app.merchant.skuIds[0]);
    // The row number and 6 columns (4 at 1024 px) fit without scrolling; before: 3 and 2.
    const visible = await page.locator('.grid-header [role="columnheader"]').evaluateAll((els) => {
      const box = document.getElementById('grid')?.getBoundingClientRect();
      return els.filter((el) => box && el.getBoundingClientRect().right <= box.right + 1).length;
    });
    expect(visible).toBeGreaterThanOrEqual(size.width >= 1280 ? 7 : 5);

    // The next error to the right scrolls into view; row and transaction numbers stay.
    await page.locator('#cell-0-1').click();
    const active = grid.locator('[role="gridcell"][aria-selected="true"]');
    for (let i = 0; i < 12; i++) {
      // Each press is read only once the grid has moved: a read before React renders saw the
      // previous cell, and the next press stepped past total_amount (a CI run ended on column 7).
      const before = await active.getAttribute('id');
      await page.keyboard.press('F8');
      await expect(active).not.toHaveAttribute('id', before ?? '');
      if ((await active.getAttribute('aria-colindex')) === '9') break; // total_amount
    }
    await expect(active).toHaveAttribute('aria-colindex', '9');
    await expect(active).toBeInViewport({ ratio: 0.9 });
    const row = active.locator('..');
    const txn = row.locator('[aria-colindex="2"]');
    const rownum = row.locator('[aria-colindex="1"]');
    const gridBox = await grid.boundingBox();
    const txnBox = await txn.boundingBox();
    const rowBox = await rownum.boundingBox();
    if (!gridBox || !txnBox || !rowBox) throw new Error('no boxes');
    expect(rowBox.x).toBeLessThan(gridBox.x + 4);
    expect(txnBox.x).toBeLessThan(gridBox.x + 80);
    expect(await grid.evaluate((g) => g.scrollLeft)).toBeGreaterThan(0);
    await app.shot(`fix-grid-${size.width}x${size.height}`);
  });
}

test('problem 9: labelled counts and plurals; no export offered for a batch without errors', async ({
  app,
}) => {
  const { page } = app;
  await openDefects(app);
  const figures = page.locator('.summary .figures');
  await expect(figures).toContainText('Items ready');
  await expect(figures).toContainText('Amount ready');
  await expect(page.getByRole('button', { name: 'Export error rows…' })).toBeEnabled();
  await page.getByRole('button', { name: 'Leave out transactions with errors…' }).click();
  await page.getByRole('button', { name: /and import the rest/ }).click();
  await expect(page.getByRole('button', { name: 'Export error rows…' })).toBeDisabled();
  await page.getByRole('button', { name: 'Continue to import →' }).click();
  await expect(page.locator('#commit-button')).toHaveText('Import 2 purchases');
  await page.locator('#commit-button').click();
  await page.getByRole('button', { name: 'Open in History' }).click();
  const detail = page.getByRole('complementary', { name: 'Batch detail' });
  await expect(detail).toContainText('2 purchases, 3 items');
  await expect(detail.getByRole('button', { name: 'Export errors…' })).toHaveCount(0);
  await expect(page.locator('.history-list')).toContainText('1 batch');
  await expect(page.locator('.history-list')).not.toContainText('1 batches');
});

test('problem 3: "Skip transactions already imported" is where its hint says, above the grid', async ({
  app,
}) => {
  const { page, merchant } = app;
  await chooseMerchant(app);
  const tag = merchant.merchantId.slice(0, 6);
  const { csv } = defectsCsv(merchant, tag);
  // Only the two good transactions, imported once, then opened again with one new row.
  const lines = csv.split('\n');
  const good = [lines[0], lines[1], lines[2], lines[15]].join('\n');
  await openFile(app, await app.writeFile('good.csv', good));
  await page.getByRole('button', { name: 'Continue to import →' }).click();
  await page.locator('#commit-button').click();
  await expect(page.getByRole('heading', { name: 'Import completed' })).toBeVisible();
  await page.getByRole('button', { name: 'Import another file' }).click();

  const again = `${good}\nFIX-${tag}-2000,${merchant.userIds[0]},2026-11-04T10:00:00Z,${merchant.skuIds[0]},1,1.00,EUR,,S001,`;
  await openFile(app, await app.writeFile('again.csv', again));
  const issue = page.locator('.issue-all');
  await expect(page.getByRole('button', { name: 'Already imported 3' })).toBeVisible();
  await page.locator('#cell-0-1').click();
  await expect(page.locator('.issue-current')).toContainText(
    'Tick “Skip transactions already imported” above the grid',
  );
  const skip = page
    .getByRole('toolbar', { name: 'Preview tools' })
    .getByRole('checkbox', { name: 'Skip transactions already imported' });
  await skip.click();
  await expect(skip).toBeChecked();
  await expect(issue).not.toContainText('Nothing to fix');
  await expect(page.getByRole('button', { name: 'Continue to import →' })).toBeEnabled();
  const trail = await page.evaluate(() =>
    (window as unknown as { api: Pick<Api, 'importAudit'> }).api.importAudit(),
  );
  expect(trail?.skippedAsImported).toEqual([`FIX-${tag}-1001`, `FIX-${tag}-1012`]);
});
