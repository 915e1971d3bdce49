import { describe, expect, it } from 'vitest';
import { shopifyOrdersCsv, type ShopifyOrder } from '../../test/fixtures/shopify-orders';
import { stagedRowsOf, toStagedChunk } from '../db/staging';
import { analyseCsvTextWithRows } from './analyse';
import { revalidateRows } from './revalidate-steps';
import { SHOPIFY_ORDERS, findPreset } from './mapping-presets';
import { keyLabels, keyModeOf, missingRequiredColumns, resolvedKeys } from './natural-keys';
import { applyReferenceCheck, collectReferenceIds } from './reference-check';
import type { ReferenceCheck } from './types';

const ALICE = '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01';
const BOB = '1b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b02';
const MUG = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';

const orders: ShopifyOrder[] = [
  {
    name: '#1001',
    email: '  Alice@Example.COM ',
    paidAt: '2026-03-04 10:15:00 +0100',
    currency: 'EUR',
    shippingCents: 490,
    taxCents: 300,
    discountCents: 150,
    items: [
      { sku: 'MUG-01', name: 'Mug', quantity: 2, priceCents: 1250 },
      { sku: 'BEAN-1KG', name: 'Beans 1 kg', quantity: 1, priceCents: 2490 },
    ],
  },
  {
    name: '#1002',
    email: 'bob@example.com',
    paidAt: '2026-03-05 18:00:00 -0500',
    currency: 'EUR',
    shippingCents: 0,
    taxCents: 0,
    discountCents: 0,
    items: [{ sku: 'MUG-01', name: 'Mug', quantity: 1, priceCents: 1250 }],
  },
];

const preset = { columnMapping: SHOPIFY_ORDERS.mapping, fillOrderFields: true };

describe('a Shopify orders export with the preset and fill-down', () => {
  it('reads every order as one purchase of its line items, totals the items’ sum', () => {
    const { report } = analyseCsvTextWithRows(shopifyOrdersCsv(orders), preset, {
      fileName: 'orders_export.csv',
    });
    expect(report.errors).toEqual([]);
    expect(
      report.purchases.map((p) => [
        p.transactionNumber,
        p.userId,
        p.purchasedAt,
        p.totalAmountCents,
        p.items.map((i) => [i.skuId, i.quantity, i.unitPriceCents]),
      ]),
    ).toEqual([
      [
        '#1001',
        'email:alice@example.com',
        '2026-03-04T09:15:00.000Z',
        4990,
        [
          ['code:MUG-01', 2, 1250],
          ['code:BEAN-1KG', 1, 2490],
        ],
      ],
      [
        '#1002',
        'email:bob@example.com',
        '2026-03-05T23:00:00.000Z',
        1250,
        [['code:MUG-01', 1, 1250]],
      ],
    ]);
  });

  it('without the option refuses the follow-up rows with a hint naming it', () => {
    const { report } = analyseCsvTextWithRows(
      shopifyOrdersCsv(orders),
      { columnMapping: SHOPIFY_ORDERS.mapping },
      { fileName: 'orders_export.csv' },
    );
    expect(report.purchases.map((p) => p.transactionNumber)).toEqual(['#1002']);
    expect(report.errors.map((e) => [e.row, e.column, e.code])).toEqual([
      [3, 'purchased_at', 'required'],
      [3, 'user_email', 'required'],
    ]);
    for (const e of report.errors) {
      expect(e.message).toContain('Turn on “Order fields on first row only” (--fill-order-fields');
    }
  });

  it('re-validates an edited row of a keyed file in key mode', () => {
    const { report, rawRows } = analyseCsvTextWithRows(shopifyOrdersCsv(orders), preset, {
      fileName: 'orders_export.csv',
      keepRows: true,
    });
    const edited = revalidateRows({
      report,
      rawRows: rawRows ?? [],
      edits: [{ row: 3, cells: { sku_code: 'BEAN-500G' } }],
    });
    expect(edited.report.errors).toEqual([]);
    expect(edited.report.purchases[0]?.items.map((i) => i.skuId)).toEqual([
      'code:MUG-01',
      'code:BEAN-500G',
    ]);
  });

  it('re-validates in steps (the app) in key mode too, and keeps the fill-down hint', () => {
    const { report, rawRows } = analyseCsvTextWithRows(
      shopifyOrdersCsv(orders),
      { columnMapping: SHOPIFY_ORDERS.mapping },
      { fileName: 'orders_export.csv', keepRows: true },
    );
    const edited = revalidateRows({
      report,
      rawRows: rawRows ?? [],
      edits: [{ row: 4, cells: { sku_code: 'MUG-02' } }],
    });
    expect(edited.report.purchases.map((p) => p.items.map((i) => i.skuId))).toEqual([
      ['code:MUG-02'],
    ]);
    // The untouched order's follow-up row still names the option.
    expect(edited.report.errors.map((e) => [e.row, e.column])).toEqual([
      [3, 'purchased_at'],
      [3, 'user_email'],
    ]);
    expect(edited.report.errors[0]?.message).toContain('“Order fields on first row only”');
    const editedFollowUp = revalidateRows({
      report,
      rawRows: rawRows ?? [],
      edits: [{ row: 3, cells: { quantity: '3' } }],
    });
    expect(editedFollowUp.report.errors.map((e) => e.message)).toEqual(
      report.errors.map((e) => e.message),
    );
  });

  it('is found by id or name', () => {
    expect(findPreset('shopify-orders')).toBe(SHOPIFY_ORDERS);
    expect(findPreset('Shopify orders export')).toBe(SHOPIFY_ORDERS);
    expect(findPreset('nope')).toBeNull();
  });
});

describe('the reference check with keys', () => {
  const { report } = analyseCsvTextWithRows(shopifyOrdersCsv(orders), preset, {
    fileName: 'orders_export.csv',
  });

  it('sends keys apart from ids', () => {
    expect(collectReferenceIds(report)).toEqual({
      userIds: [],
      skuIds: [],
      userEmails: ['alice@example.com', 'bob@example.com'],
      skuCodes: ['MUG-01', 'BEAN-1KG'],
      transactionNumbers: ['#1001', '#1002'],
    });
  });

  it('flags unknown and ambiguous keys on their rows and column; stages resolved ids', () => {
    const check: ReferenceCheck = {
      unknownUserIds: [],
      unknownSkuIds: [],
      existingTransactions: [],
      userKeys: [
        { key: 'alice@example.com', id: ALICE, name: 'Alice Martin', candidates: [] },
        {
          key: 'bob@example.com',
          id: null,
          name: null,
          candidates: [
            { id: BOB, name: 'Bob' },
            { id: ALICE, name: 'Alice Martin' },
          ],
        },
      ],
      skuKeys: [
        { key: 'MUG-01', id: MUG, name: 'Mug', candidates: [] },
        { key: 'BEAN-1KG', id: null, name: null, candidates: [] },
      ],
    };
    const checked = applyReferenceCheck(report, check, { skipExisting: false });
    expect(checked.errors.map((e) => [e.row, e.column, e.code, e.value])).toEqual([
      [3, 'sku_code', 'unknown_sku', 'BEAN-1KG'],
      [4, 'user_email', 'ambiguous_key', 'bob@example.com'],
    ]);
    expect(checked.errors[1]?.message).toBe(
      `user_email "bob@example.com" is shared by 2 members of this merchant: ${BOB} (Bob), ${ALICE} (Alice Martin); make it unique in the CRM, or give user_id`,
    );
    expect(checked.purchases).toEqual([]);
    expect(checked.referenceCheck?.userKeys).toEqual(check.userKeys);

    // What the commit stages for the file's purchases: the key and the id the preview resolved.
    const staged = stagedRowsOf(toStagedChunk(report.purchases, resolvedKeys(check)));
    expect(staged.map((r) => [r.user_id, r.user_email, r.sku_id, r.sku_code])).toEqual([
      [ALICE, 'alice@example.com', MUG, 'MUG-01'],
      [ALICE, 'alice@example.com', null, 'BEAN-1KG'],
      [null, 'bob@example.com', MUG, 'MUG-01'],
    ]);
  });
});

describe('key mode and required columns', () => {
  it('uses a key only where the file has no id column', () => {
    expect(keyModeOf({ user_email: 'Email', sku_code: 'SKU' })).toEqual({
      userByEmail: true,
      skuByCode: true,
    });
    expect(keyModeOf({ user_id: 'Customer', user_email: 'Email', sku_id: 'SKU' })).toEqual({
      userByEmail: false,
      skuByCode: false,
    });
    const has = (mapped: string[]) => (c: string) => mapped.includes(c);
    expect(missingRequiredColumns(has(['user_email', 'sku_code']))).toEqual([
      'transaction_number',
      'purchased_at',
      'quantity',
      'unit_price',
    ]);
  });
});

describe('names for key cells (the preview)', () => {
  it('labels each resolved e-mail and code with its member or SKU, none for the others', () => {
    const check = {
      userKeys: [
        { key: 'alice@example.com', id: ALICE, name: 'Alice Martin', candidates: [] },
        { key: 'nobody@example.com', id: null, name: null, candidates: [] },
      ],
      skuKeys: [{ key: 'MUG-01', id: MUG, name: 'Mug', candidates: [] }],
    };
    expect(keyLabels('user', [' Alice@Example.com', 'nobody@example.com'], check)).toEqual([
      { id: 'alice@example.com', label: 'Alice Martin', detail: ALICE },
    ]);
    // The grid asks by lower-cased text: codes are found again by their exact spelling.
    expect(keyLabels('sku', ['mug-01'], check)).toEqual([
      { id: 'mug-01', label: 'Mug', detail: MUG },
    ]);
  });
});
