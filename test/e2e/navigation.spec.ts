import type { Locator, Page } from '@playwright/test';
import { chooseMerchant, expect, openFile, test, type ConsoleApp } from './support/fixtures';

// Issue 18: next/previous error, go to row and the move after an edit show the row they name
// fully (not one row below the visible area) and the error's column (not off to the right), at
// every window size. Written against the behaviour the issue describes; they failed before.

const ROWS = 1_200;
/** Spreadsheet row -> the defect written there (column and value). */
const DEFECTS = new Map<number, { column: string; value: string }>([
  [181, { column: 'quantity', value: '1.5' }],
  [502, { column: 'currency', value: 'EUX' }],
  [977, { column: 'total_amount', value: '99.99' }],
]);
const COLUMN_INDEX: Record<string, number> = { quantity: 5, currency: 7, total_amount: 8 };

function navigationCsv(app: ConsoleApp): string {
  const { merchant } = app;
  const tag = merchant.merchantId.slice(0, 6);
  const lines = [
    'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price,currency,total_amount,store_code,notes',
  ];
  for (let row = 2; row <= ROWS + 1; row++) {
    const defect = DEFECTS.get(row);
    const cells: Record<string, string> = {
      quantity: '2',
      currency: 'EUR',
      total_amount: '6.40',
    };
    if (defect) cells[defect.column] = defect.value;
    lines.push(
      [
        `NAV-${tag}-${row}`,
        merchant.userIds[row % merchant.userIds.length],
        '2026-11-02T09:15:00Z',
        merchant.skuIds[row % merchant.skuIds.length],
        cells['quantity'],
        '3.20',
        cells['currency'],
        cells['total_amount'],
        'S001',
        'a longer note so that the notes column is as wide as it gets',
      ].join(','),
    );
  }
  return lines.join('\n');
}

/** The part of the grid a user sees: below the sticky header, inside scrollbars and borders. */
async function visibleArea(
  grid: Locator,
): Promise<{ top: number; bottom: number; left: number; right: number }> {
  return grid.evaluate((g) => {
    const box = g.getBoundingClientRect();
    const header = g.querySelector('.grid-header')?.getBoundingClientRect();
    const frozen = g.querySelector('.grid-header .grid-frozen')?.getBoundingClientRect();
    return {
      top: header ? header.bottom : box.top + g.clientTop,
      // The window clips too: a grid taller than the window hides its last rows.
      bottom: Math.min(box.top + g.clientTop + g.clientHeight, window.innerHeight),
      left: frozen ? frozen.right : box.left + g.clientLeft,
      right: Math.min(box.left + g.clientLeft + g.clientWidth, window.innerWidth),
    };
  });
}

/** The active cell's row is fully inside the visible area, and so is the active cell. */
async function expectActiveShown(page: Page, row: number, column?: number): Promise<void> {
  const grid = page.getByRole('grid');
  const active = grid.locator('[role="gridcell"][aria-selected="true"], .grid-cell--active');
  await expect(active.locator('xpath=..').locator('[role="rowheader"]')).toHaveText(String(row));
  if (column !== undefined)
    await expect(active).toHaveAttribute('aria-colindex', String(column + 1));
  // Scrolling settles over a frame or two: poll the geometry rather than read it once.
  await expect
    .poll(
      async () => {
        const area = await visibleArea(grid);
        const rowBox = await active.locator('xpath=..').boundingBox();
        const cellBox = await active.boundingBox();
        if (!rowBox || !cellBox) return 'no box';
        const problems: string[] = [];
        if (rowBox.y < area.top - 0.5) problems.push(`row top ${rowBox.y} above ${area.top}`);
        if (rowBox.y + rowBox.height > area.bottom + 0.5)
          problems.push(`row bottom ${rowBox.y + rowBox.height} below ${area.bottom}`);
        if (column !== undefined && column > 1) {
          if (cellBox.x < area.left - 0.5) problems.push(`cell left ${cellBox.x} < ${area.left}`);
          if (cellBox.x + cellBox.width > area.right + 0.5)
            problems.push(`cell right ${cellBox.x + cellBox.width} > ${area.right}`);
        }
        return problems.join('; ') || 'shown';
      },
      { timeout: 5_000 },
    )
    .toBe('shown');
}

const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
  { width: 1024, height: 700 },
];

for (const size of SIZES) {
  test(`navigation shows the row and the error's column at ${size.width}x${size.height}`, async ({
    app,
  }) => {
    const { page } = app;
    await page.setViewportSize(size);
    await chooseMerchant(app);
    await openFile(app, await app.writeFile('navigation.csv', navigationCsv(app)));
    const grid = page.getByRole('grid');
    await expect(grid).toHaveAttribute('aria-rowcount', String(ROWS + 1));
    await page.locator('#cell-0-1').click();

    // F8 through the errors, then Shift+F8 back: each row fully shown, its column too.
    const rows = [...DEFECTS.keys()];
    for (const row of rows) {
      await page.keyboard.press('F8');
      await expectActiveShown(page, row, COLUMN_INDEX[DEFECTS.get(row)?.column ?? '']);
    }
    for (const row of rows.slice(0, -1).reverse()) {
      await page.keyboard.press('Shift+F8');
      await expectActiveShown(page, row, COLUMN_INDEX[DEFECTS.get(row)?.column ?? '']);
    }

    // Go to row: down the file, then back up.
    for (const row of [700, 1_150, 40]) {
      await page.locator('#find-row').fill(String(row));
      await page.locator('#find-row').press('Enter');
      await expectActiveShown(page, row);
    }

    // The move after an edit: Enter saves and goes to the row below, which is shown.
    await page.locator('#find-row').fill('181');
    await page.locator('#find-row').press('Enter');
    await expectActiveShown(page, 181);
    // Put the row at the bottom edge, so the row below it starts out of view.
    await grid.evaluate((g) => {
      // Index 179 (row 181) ends at 181 row heights (the header is the first).
      g.scrollTop = 181 * 32 - g.clientHeight;
    });
    await page.locator('#cell-179-5').dblclick();
    const editor = page.getByRole('textbox', { name: 'Edit quantity' });
    await editor.fill('3');
    await editor.press('Enter');
    await expectActiveShown(page, 182, 5);
    await app.shot(`navigation-${size.width}x${size.height}`);
  });
}
