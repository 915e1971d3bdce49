import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { defectsCsv } from './support/defects';
import { SCREENSHOTS, chooseMerchant, expect, openFile, test } from './support/fixtures';

// Issue 11: every screen at 1440x900, 1280x720 and 1024x700, light and dark, saved to
// test-results/screenshots; and an axe-core scan of each (light and dark): no serious or
// critical violation.

const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
  { width: 1024, height: 700 },
] as const;

interface Finding {
  screen: string;
  scheme: string;
  rule: string;
  impact: string;
  targets: string[];
}

async function scanAndShoot(page: Page, screen: string, findings: Finding[]): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    // Legacy mode runs in the page itself: the default opens a blank page to finish, and the
    // harness closes every page the app did not open (popups are denied).
    const result = await new AxeBuilder({ page }).setLegacyMode(true).analyze();
    // A scan that checked nothing would pass: make sure it looked at the screen.
    expect(result.passes.length, `${screen}: axe checked nothing`).toBeGreaterThan(10);
    for (const v of result.violations) {
      if (v.impact === 'serious' || v.impact === 'critical') {
        findings.push({
          screen,
          scheme,
          rule: v.id,
          impact: v.impact,
          targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
        });
      }
    }
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await page.screenshot({
        path: join(SCREENSHOTS, `screens-${screen}-${size.width}x${size.height}-${scheme}.png`),
      });
    }
    await page.setViewportSize(SIZES[0]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test('every screen: screenshots at three sizes, light and dark; no serious or critical axe violation', async ({
  app,
}) => {
  const { page, merchant } = app;
  const findings: Finding[] = [];
  await expect(page.locator('.badge')).toContainText('Sandbox', { timeout: 30_000 });
  await chooseMerchant(app);
  await scanAndShoot(page, 'connection', findings);

  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Open a purchase file' })).toBeVisible();
  await scanAndShoot(page, 'import-open', findings);

  const tag = merchant.merchantId.slice(0, 6);
  const { csv } = defectsCsv(merchant, tag);

  // The mapping step: headers the app does not know.
  const lines = csv.split('\n');
  lines[0] = 'Txn,Customer ID,Date,Item Ref,Qty,Price,Currency,Total,Store,Remarks';
  await openFile(app, await app.writeFile('till-export.csv', lines.join('\n')));
  await expect(
    page.getByRole('heading', { name: /Map the columns of till-export.csv/ }),
  ).toBeVisible();
  await scanAndShoot(page, 'mapping', findings);
  await page.getByRole('button', { name: 'Cancel' }).click();

  await openFile(app, await app.writeFile('defects.csv', csv));
  await expect(page.getByRole('grid')).toBeVisible();
  await page.locator('#cell-2-2').click();
  await scanAndShoot(page, 'review', findings);

  await page.locator('#cell-0-0').click();
  await page.locator('#cell-3-0').click({ modifiers: ['Shift'] });
  await expect(page.getByRole('region', { name: 'Selected rows' })).toBeVisible();
  await scanAndShoot(page, 'review-selection', findings);
  await page.getByRole('grid').press('Escape');

  await page.getByRole('button', { name: /Unknown SKU/ }).click();
  await page.locator('.cell--error').first().click();
  await page.locator('.issue-current').getByRole('button', { name: 'Replace everywhere…' }).click();
  const replace = page.getByRole('dialog', { name: 'Replace everywhere' });
  await expect(replace.locator('.pick').first()).toBeVisible();
  await scanAndShoot(page, 'replace-dialog', findings);
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'Leave out transactions with errors…' }).click();
  const leaveOut = page.getByRole('dialog', { name: /Leave out/ });
  await expect(leaveOut).toBeVisible();
  await scanAndShoot(page, 'leave-out-dialog', findings);
  await leaveOut.getByRole('button', { name: /and import the rest/ }).click();
  await expect(leaveOut).toBeHidden();
  await scanAndShoot(page, 'review-ready', findings);

  await page.getByRole('button', { name: 'Continue to import →' }).click();
  await expect(page.locator('#commit-button')).toBeVisible();
  await scanAndShoot(page, 'commit', findings);
  await page.locator('#commit-button').click();
  await expect(page.getByRole('heading', { name: 'Import completed' })).toBeVisible();
  await scanAndShoot(page, 'commit-done', findings);

  await page.getByRole('button', { name: 'Open in History' }).click();
  await expect(page.locator('.batch-detail, [aria-label="Batch detail"]').first()).toBeVisible();
  await scanAndShoot(page, 'history', findings);

  expect(findings).toEqual([]);
});
