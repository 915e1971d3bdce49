import { writeFile } from 'node:fs/promises';
import { generateRecords } from '../fixtures/generate-purchases';
import { STYLE, workbookBuffer, type CellSpec } from '../fixtures/write-workbook';
import { chooseMerchant, expect, openFile, test } from './support/fixtures';

test('an Excel workbook: the sheet is chosen in the mapping step, then previewed like a CSV', async ({
  app,
}) => {
  const { page, merchant } = app;
  await chooseMerchant(app);
  const header = [
    'transaction_number',
    'user_id',
    'purchased_at',
    'sku_id',
    'quantity',
    'unit_price',
    'currency',
    'total_amount',
    'store_code',
    'notes',
  ];
  const rows: CellSpec[][] = [];
  for (const g of generateRecords({
    purchases: 6,
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: 12,
    transactionPrefix: `XL-${merchant.merchantId.slice(0, 6)}-`,
  })) {
    for (const r of g.records) {
      // Dates as Excel keeps them (a serial formatted as a date), numbers as doubles.
      const day = Date.parse(`${r[2]?.slice(0, 10) ?? ''}T00:00:00Z`);
      rows.push([
        r[0] ?? '',
        r[1] ?? '',
        { v: String((day - Date.UTC(1899, 11, 30)) / 86_400_000), s: STYLE.date },
        r[3] ?? '',
        Number(r[4]),
        { v: String(Number(r[5])), s: STYLE.money },
        r[6] ?? '',
        null,
        r[8] ?? '',
        r[9] || null,
      ]);
    }
  }
  const path = await app.writeFile('till-export.xlsx', '');
  await writeFile(
    path,
    await workbookBuffer({
      sheets: [
        { name: 'Read me', rows: [['Exported from the till']] },
        { name: 'Purchases', rows: [header, ...rows] },
      ],
    }),
  );
  await openFile(app, path);

  await expect(
    page.getByRole('heading', { name: /Map the columns of till-export.xlsx/ }),
  ).toBeVisible();
  const sheet = page.getByLabel('Sheet');
  await expect(sheet).toHaveValue('Read me');
  await expect(page.getByText(/This workbook has 2 sheets/)).toBeVisible();
  await app.shot('workbook-sheet-picker');
  await sheet.selectOption('Purchases');

  // Every header of the chosen sheet matched: straight into the preview.
  await expect(page.getByRole('grid')).toHaveAttribute('aria-rowcount', String(rows.length + 1));
  await expect(page.locator('.figure--good dd')).toHaveText('0');
  await expect(page.locator('.parse-settings summary')).toContainText('sheet “Purchases”');
  await app.shot('workbook-preview');
});
