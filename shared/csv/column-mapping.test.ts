import { describe, expect, it } from 'vitest';
import { normalizeHeader, resolveColumnMapping, suggestColumnMapping } from './column-mapping';

const CANONICAL = [
  'transaction_number',
  'user_id',
  'purchased_at',
  'sku_id',
  'quantity',
  'unit_price',
];

describe('normalizeHeader', () => {
  it('ignores case, spaces and punctuation', () => {
    expect(normalizeHeader(' Txn-ID ')).toBe('txnid');
    expect(normalizeHeader('unit_price')).toBe(normalizeHeader('Unit Price'));
  });
});

describe('resolveColumnMapping', () => {
  it('maps canonical headers and reports nothing', () => {
    const r = resolveColumnMapping([
      ...CANONICAL,
      'currency',
      'total_amount',
      'store_code',
      'notes',
    ]);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    // user_email and sku_code (natural keys) are absent: -1.
    expect(r.index).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1]);
  });

  it('takes user_email for user_id and sku_code for sku_id (natural keys)', () => {
    const r = resolveColumnMapping([
      'Order Number',
      'Customer Email',
      'Date',
      'Lineitem sku',
      'Qty',
      'Price',
    ]);
    expect(r.errors).toEqual([]);
    expect(r.mapping).toEqual({
      transaction_number: 'Order Number',
      user_email: 'Customer Email',
      purchased_at: 'Date',
      sku_code: 'Lineitem sku',
      quantity: 'Qty',
      unit_price: 'Price',
    });
    const missing = resolveColumnMapping(['Txn', 'Date', 'Qty', 'Price']);
    expect(missing.errors.map((e) => e.message)).toEqual([
      'missing required columns: user_id (or user_email), sku_id (or sku_code).',
    ]);
  });

  it('knows common aliases', () => {
    const headers = [
      'Order ID',
      'Member ID',
      'Purchase Date',
      'Product ID',
      'Qty',
      'Price',
      'Currency',
      'Total',
      'Store',
      'Comment',
    ];
    const r = resolveColumnMapping(headers);
    expect(r.errors).toEqual([]);
    expect(r.mapping).toEqual({
      transaction_number: 'Order ID',
      user_id: 'Member ID',
      purchased_at: 'Purchase Date',
      sku_id: 'Product ID',
      quantity: 'Qty',
      unit_price: 'Price',
      currency: 'Currency',
      total_amount: 'Total',
      store_code: 'Store',
      notes: 'Comment',
    });
  });

  it.each([
    ['Txn', 'transaction_number'],
    ['Txn ID', 'transaction_number'],
    ['Receipt', 'transaction_number'],
    ['Transaction Number', 'transaction_number'],
    ['Customer ID', 'user_id'],
    ['User', 'user_id'],
    ['Date', 'purchased_at'],
    ['Timestamp', 'purchased_at'],
    ['SKU', 'sku_id'],
    ['Item ID', 'sku_id'],
    ['Quantity', 'quantity'],
    ['Unit Price', 'unit_price'],
    ['Store Code', 'store_code'],
    ['Notes', 'notes'],
  ])('maps %s to %s', (header, column) => {
    expect(suggestColumnMapping([header]).headers[0]?.column).toBe(column);
    expect(suggestColumnMapping([header]).headers[0]?.confidence).toBeGreaterThanOrEqual(0.9);
  });

  it('names every missing required column in one file-level error', () => {
    const r = resolveColumnMapping(['transaction_number', 'quantity', 'notes']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ row: 1, code: 'missing_columns' });
    for (const c of ['user_id', 'purchased_at', 'sku_id', 'unit_price']) {
      expect(r.errors[0]?.message).toContain(c);
    }
    expect(r.errors[0]?.message).not.toContain('transaction_number');
  });

  it('warns once per unknown column', () => {
    const r = resolveColumnMapping([...CANONICAL, 'Colour', 'Size']);
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => [w.code, w.severity, w.column])).toEqual([
      ['unknown_column', 'warning', 'Colour'],
      ['unknown_column', 'warning', 'Size'],
    ]);
  });

  it('refuses two headers for one column', () => {
    const r = resolveColumnMapping([...CANONICAL, 'Price']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ row: 1, code: 'duplicate_column', column: 'unit_price' });
    expect(r.errors[0]?.message).toContain('"unit_price", "Price"');
  });

  it('never maps "Amount" by itself: it is ambiguous money', () => {
    const headers = [
      'transaction_number',
      'user_id',
      'purchased_at',
      'sku_id',
      'quantity',
      'Amount',
    ];
    const r = resolveColumnMapping(headers);
    expect(r.mapping.unit_price).toBeUndefined();
    expect(r.mapping.total_amount).toBeUndefined();
    expect(r.errors[0]).toMatchObject({ code: 'missing_columns' });
    expect(r.errors[0]?.message).toContain('"Amount" is ambiguous');
    expect(r.warnings[0]).toMatchObject({ code: 'unknown_column', column: 'Amount' });
    const suggestion = suggestColumnMapping(headers).headers[5];
    expect(suggestion).toMatchObject({ kind: 'ambiguous', column: 'total_amount' });
    expect(suggestion?.confidence).toBeLessThan(0.9);
  });

  it('lets a saved mapping override the aliases', () => {
    const headers = ['Receipt', 'Customer', 'When', 'Article', 'Qty', 'Amount', 'Price'];
    const r = resolveColumnMapping(headers, {
      purchased_at: 'When',
      sku_id: 'Article',
      unit_price: 'Amount',
    });
    expect(r.errors).toEqual([]);
    expect(r.mapping).toMatchObject({
      purchased_at: 'When',
      sku_id: 'Article',
      unit_price: 'Amount',
    });
    // "Price" would alias unit_price, but the saved mapping already chose a column for it.
    expect(r.warnings.map((w) => w.column)).toEqual(['Price']);
  });

  it('matches a saved header loosely and falls back to aliases when it is gone', () => {
    const r = resolveColumnMapping(CANONICAL, { unit_price: 'UNIT PRICE', quantity: 'Menge' });
    expect(r.errors).toEqual([]);
    expect(r.mapping.unit_price).toBe('unit_price');
    expect(r.mapping.quantity).toBe('quantity');
  });

  it('refuses one header saved for two columns', () => {
    const r = resolveColumnMapping(CANONICAL, {
      unit_price: 'unit_price',
      total_amount: 'unit_price',
    });
    expect(r.errors.map((e) => e.code)).toEqual(['duplicate_column']);
  });

  it('warns about a header-less column', () => {
    const r = resolveColumnMapping([...CANONICAL, '']);
    expect(r.warnings[0]?.message).toBe('column 7 has no header and is ignored');
  });
});

describe('suggestColumnMapping', () => {
  it('offers partial matches as hints only', () => {
    const s = suggestColumnMapping(['Item Qty', 'Line Total']);
    expect(s.headers[0]).toMatchObject({ column: 'quantity', kind: 'partial', confidence: 0.5 });
    expect(s.headers[1]).toMatchObject({ column: null, kind: 'none' });
    expect(s.columns.quantity).toBeNull();
  });

  it('reports the header chosen for each column', () => {
    const s = suggestColumnMapping(['Txn', 'SKU'], { user_id: 'Txn' });
    expect(s.columns.user_id).toEqual({ header: 'Txn', index: 0, confidence: 1 });
    expect(s.columns.sku_id).toMatchObject({ header: 'SKU', index: 1 });
    expect(s.columns.transaction_number).toBeNull();
  });

  it('treats headers named like object members as unknown (found by fuzzing: it threw)', () => {
    const s = suggestColumnMapping(['constructor', '__proto__', 'toString', 'hasOwnProperty']);
    expect(s.headers.map((h) => h.kind)).toEqual(['none', 'none', 'none', 'none']);
  });
});
