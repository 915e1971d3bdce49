import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { itemsSumCents, shopifyOrdersCsv, type ShopifyOrder } from '../fixtures/shopify-orders';
import { openTestDb, seedMerchant, type SeededMerchant, type TestDb } from '../support/seed';

// Issue 13's CLI door: a Shopify orders export, written here in the export's own column layout,
// imported as it is with --template shopify-orders --fill-order-fields; members found by e-mail
// and SKUs by code. Runs the command from its sources (the bundle is another suite's concern).

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/purchase-import.mjs');

let db: TestDb;
let url: string;
let merchant: SeededMerchant;
let dir: string;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {
        ...process.env,
        PURCHASE_IMPORT_DB: '',
        PURCHASE_IMPORT_HOME: dir,
        PURCHASE_IMPORT_FROM_SOURCE: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** 40 orders of 1 to 4 line items, e-mails in the shop's own spelling, a few SKU codes. */
function orders(): ShopifyOrder[] {
  const codes = ['SKU-1', 'SKU-2', 'SKU-3', 'SKU-4', 'SKU-5'];
  return Array.from({ length: 40 }, (_, i) => ({
    name: `#${1001 + i}`,
    email: i % 3 === 0 ? ` USER${1 + (i % 10)}@Example.TEST` : `user${1 + (i % 10)}@example.test`,
    paidAt: `2026-04-${String(1 + (i % 28)).padStart(2, '0')} 1${i % 10}:15:00 +0200`,
    currency: 'EUR',
    shippingCents: 490,
    taxCents: 120 + i,
    discountCents: i % 4 === 0 ? 200 : 0,
    location: i % 2 === 0 ? 'Web' : '',
    items: Array.from({ length: 1 + (i % 4) }, (_, j) => ({
      sku: codes[(i + j) % codes.length] ?? 'SKU-1',
      name: `Product ${j}`,
      quantity: 1 + ((i + j) % 3),
      priceCents: 199 + 100 * j + i,
    })),
  }));
}

beforeAll(async () => {
  url = inject('databaseUrl');
  db = openTestDb(url);
  // user1@example.test… and SKU-1… (seedMerchant), and a second merchant with the same keys.
  merchant = await seedMerchant(db.pool, { users: 10, skus: 5 });
  await seedMerchant(db.pool, { users: 10, skus: 5 });
  dir = await mkdtemp(join(tmpdir(), 'purchase-import-keys-'));
});
afterAll(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a Shopify orders export through the CLI', () => {
  it('without the preset says which to use, and folds the columns it does not import into one line', async () => {
    const file = join(dir, 'orders_export_hint.csv');
    await writeFile(file, shopifyOrdersCsv(orders().slice(0, 3)));
    const base = ['--merchant', merchant.merchantId, '--db', url];

    const bare = await cli(['check', file, ...base]);
    expect(bare.code).toBe(1);
    expect(bare.stdout).toContain('missing required columns');
    expect(bare.stdout).toContain(
      'This looks like a Shopify orders export: add --template shopify-orders --fill-order-fields.',
    );

    const mapped = await cli([
      'check',
      file,
      '--template',
      'shopify-orders',
      '--fill-order-fields',
      ...base,
    ]);
    expect(mapped.code).toBe(0);
    expect(mapped.stdout).not.toContain('is not a known column');
    expect(mapped.stdout).toMatch(/row 1: \d+ columns not imported: "Financial Status", /);
    expect(mapped.stdout).not.toContain('This looks like');
  });

  it('imports with the preset and fill-down: exact purchases, items and totals', async () => {
    const all = orders();
    const file = join(dir, 'orders_export_1.csv');
    await writeFile(file, shopifyOrdersCsv(all));
    const base = ['--merchant', merchant.merchantId, '--db', url, '--json'];

    // Without fill-down the follow-up rows are refused, naming the option.
    const refused = await cli(['check', file, '--template', 'shopify-orders', ...base]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('--fill-order-fields');

    const run = await cli([
      'import',
      file,
      '--template',
      'shopify-orders',
      '--fill-order-fields',
      '--name',
      'Shopify April',
      ...base,
    ]);
    expect(run.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    const items = all.reduce((n, o) => n + o.items.length, 0);
    expect(out).toMatchObject({
      ok: true,
      status: 'completed',
      importedPurchases: 40,
      importedItems: items,
    });

    const purchases = await db.pool.query<{
      transaction_number: string;
      email: string;
      total_amount: string;
      purchased_at: Date;
      currency: string;
      store_code: string | null;
      items: { code: string; quantity: number; unit_price: string }[];
    }>(
      `select p.transaction_number, u.email, p.total_amount::text, p.purchased_at, p.currency,
              p.store_code,
              (select json_agg(json_build_object('code', k.code, 'quantity', i.quantity,
                        'unit_price', i.unit_price::text) order by i.line_number)
               from public.purchase_items i join public.skus k on k.id = i.sku_id
               where i.purchase_id = p.id) as items
       from public.purchases p join public.user_accounts u on u.id = p.user_id
       where p.import_batch_id = $1 order by p.transaction_number`,
      [out.batchId],
    );
    expect(purchases.rows).toEqual(
      all.map((o) => ({
        transaction_number: o.name,
        email: o.email.trim().toLowerCase(),
        // The items' sum: not Total (shipping, taxes) and not Subtotal (discounts).
        total_amount: (itemsSumCents(o) / 100).toFixed(2),
        purchased_at: new Date(o.paidAt.replace(' ', 'T').replace(' +0200', '+02:00')),
        currency: 'EUR',
        store_code: o.location || null,
        items: o.items.map((i) => ({
          code: i.sku,
          quantity: i.quantity,
          unit_price: (i.priceCents / 100).toFixed(2),
        })),
      })),
    );
    // The members and SKUs are this merchant's, and every staged row kept the key it used.
    const staged = await db.pool.query<{ keyed: number; rows: number }>(
      `select count(*) filter (where user_email is not null and sku_code is not null)::int as keyed,
              count(*)::int as rows
       from public.bulk_import_staged_rows where batch_id = $1`,
      [out.batchId],
    );
    expect(staged.rows[0]).toEqual({ keyed: items, rows: items });
    const foreign = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from public.purchases p
       join public.user_accounts u on u.id = p.user_id
       where p.import_batch_id = $1 and u.merchant_id <> $2`,
      [out.batchId, merchant.merchantId],
    );
    expect(foreign.rows[0]?.n).toBe(0);
  });

  it('takes a mapping from a JSON file, and says what is wrong with a bad --template', async () => {
    const file = join(dir, 'orders_small.csv');
    const fresh = orders()
      .slice(0, 2)
      .map((o) => ({ ...o, name: `#B${o.name.slice(1)}` }));
    await writeFile(file, shopifyOrdersCsv(fresh));
    const mapping = join(dir, 'mapping.json');
    await writeFile(
      mapping,
      JSON.stringify({
        mapping: {
          transaction_number: 'Name',
          user_email: 'Email',
          purchased_at: 'Paid at',
          quantity: 'Lineitem quantity',
          unit_price: 'Lineitem price',
          sku_code: 'Lineitem sku',
          total_amount: '',
        },
      }),
    );
    const base = ['--merchant', merchant.merchantId, '--db', url, '--json'];
    const ok = await cli(['check', file, '--template', mapping, '--fill-order-fields', ...base]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, purchases: 2 });

    const bad = await cli(['check', file, '--template', 'no-such-preset', ...base]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('neither a preset (shopify-orders) nor a file');
  });
});
