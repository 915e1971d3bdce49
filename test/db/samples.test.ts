import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_MERCHANT } from '../../electron/core/sandbox/demo-data';
import { seedDemoData } from '../../electron/core/sandbox/sandbox';
import { checkFile, importFile } from '../../electron/core/use-cases';
import { SHOPIFY_ORDERS } from '../../shared/domain/mapping-presets';
import {
  cleanSample,
  defectsSample,
  SAMPLES_DIR,
  shopifySample,
  shopifySampleOrders,
} from '../fixtures/make-samples';
import { itemsSumCents } from '../fixtures/shopify-orders';
import { countImported, openTestDb, type TestDb } from '../support/seed';

// The samples a newcomer tries first: they must match their generator, import cleanly into the
// sandbox's demo merchant, and show each typical defect with its row.

let db: TestDb;

beforeAll(async () => {
  const url = inject('databaseUrl');
  await seedDemoData(url);
  db = openTestDb(url);
});
afterAll(async () => {
  await db.close();
});

const clean = join(SAMPLES_DIR, 'sample-purchases.csv');
const defects = join(SAMPLES_DIR, 'sample-purchases-defects.csv');
const shopify = join(SAMPLES_DIR, 'sample-shopify-orders.csv');

describe('samples', () => {
  it('are what the generator writes (run test/fixtures/make-samples.ts after changing it)', async () => {
    expect(await readFile(clean, 'utf8')).toBe(cleanSample());
    expect(await readFile(defects, 'utf8')).toBe(defectsSample());
    expect(await readFile(shopify, 'utf8')).toBe(shopifySample());
  });

  it('the clean sample imports into the demo merchant as one completed batch', async () => {
    const outcome = await importFile(db.rpc, {
      path: clean,
      merchantId: DEMO_MERCHANT.id,
      name: 'sample',
    });
    expect(outcome.kind).toBe('batch');
    if (outcome.kind !== 'batch') return;
    expect(outcome.checked.report.errors).toEqual([]);
    expect(outcome.batch.status).toBe('completed');
    expect(outcome.checked.report.summary.rows).toBe(1000);
    expect(await countImported(db.pool, outcome.batch.id)).toEqual({
      purchases: outcome.checked.report.summary.purchases,
      items: 1000,
    });
  });

  it('the defects sample flags each defect on its spreadsheet row', async () => {
    const { report } = await checkFile(db.rpc, { path: defects, merchantId: DEMO_MERCHANT.id });
    const flagged = report.errors.map((e) => `${e.row}:${e.column}:${e.code}`);
    expect(flagged).toEqual([
      '4:user_id:unknown_user',
      '6:sku_id:unknown_sku',
      '7:quantity:invalid_integer',
      '8:unit_price:too_many_decimals',
      '9:purchased_at:ambiguous_date',
      '10:purchased_at:missing_time_zone',
      '12:store_code:inconsistent_purchase',
      '13:total_amount:total_mismatch',
      '14:currency:invalid_currency',
      '15:unit_price:ambiguous_number',
    ]);
    expect(report.summary.purchases).toBe(2);
  });

  it('the Shopify export imports with its preset and fill-down: members by e-mail, SKUs by code', async () => {
    const orders = shopifySampleOrders();
    const outcome = await importFile(db.rpc, {
      path: shopify,
      merchantId: DEMO_MERCHANT.id,
      name: 'shopify sample',
      parseOptions: { columnMapping: SHOPIFY_ORDERS.mapping, fillOrderFields: true },
    });
    expect(outcome.kind).toBe('batch');
    if (outcome.kind !== 'batch') return;
    expect(outcome.checked.report.errors).toEqual([]);
    expect(outcome.batch.status).toBe('completed');
    const items = orders.reduce((n, o) => n + o.items.length, 0);
    expect(outcome.checked.report.summary).toMatchObject({
      purchases: orders.length,
      items,
      totalAmountCents: orders.reduce((sum, o) => sum + itemsSumCents(o), 0),
    });
    expect(await countImported(db.pool, outcome.batch.id)).toEqual({
      purchases: orders.length,
      items,
    });
  });
});
