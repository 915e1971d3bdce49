import { describe, expect, it } from 'vitest';
import { groupPurchases, PurchaseGrouper } from './group-purchases';
import { unpackPurchases } from './packed-report';
import { purchaseStats } from './summary';
import type { ValidRow } from './types';

const U1 = '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01';
const U2 = '1b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b02';
const S1 = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';
const S2 = '7f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e6';

function row(r: number, overrides: Partial<ValidRow> = {}): ValidRow {
  return {
    row: r,
    transactionNumber: 'T1',
    userId: U1,
    purchasedAt: '2026-03-04T10:15:00.000Z',
    skuId: S1,
    quantity: 1,
    unitPriceCents: 1000,
    currency: 'EUR',
    totalAmountCents: null,
    storeCode: 'S1',
    notes: null,
    ...overrides,
  };
}

describe('groupPurchases', () => {
  it('groups rows by transaction in file order, even when not adjacent', () => {
    const { purchases, errors } = groupPurchases([
      row(2, { transactionNumber: 'B' }),
      row(3, { transactionNumber: 'A', skuId: S2 }),
      row(4, { transactionNumber: 'B', quantity: 3 }),
    ]);
    expect(errors).toEqual([]);
    expect(purchases.map((p) => [p.transactionNumber, p.rows])).toEqual([
      ['B', [2, 4]],
      ['A', [3]],
    ]);
    expect(purchases[0]?.items.map((i) => [i.lineNumber, i.row, i.quantity])).toEqual([
      [1, 2, 1],
      [2, 4, 3],
    ]);
    expect(purchases[0]?.totalAmountCents).toBe(4000); // no total given: the items' sum
  });

  it('keeps repeated identical lines as separate items', () => {
    const { purchases } = groupPurchases([row(2), row(3), row(4)]);
    expect(purchases).toHaveLength(1);
    expect(purchases[0]?.items.map((i) => i.row)).toEqual([2, 3, 4]);
    expect(purchases[0]?.totalAmountCents).toBe(3000);
  });

  it('reports each disagreeing row against the first row, and drops the purchase', () => {
    const { purchases, errors } = groupPurchases([
      row(2),
      row(3, { userId: U2 }),
      row(5, { userId: U2, storeCode: 'S9' }),
      row(6),
    ]);
    expect(purchases).toEqual([]);
    expect(errors.map((e) => [e.row, e.column, e.code])).toEqual([
      [3, 'user_id', 'inconsistent_purchase'],
      [5, 'user_id', 'inconsistent_purchase'],
      [5, 'store_code', 'inconsistent_purchase'],
    ]);
    expect(errors[0]?.message).toBe(
      `user_id "${U2}" differs from row 2 of transaction "T1" ("${U1}"); all rows of a transaction must agree`,
    );
    expect(errors[0]?.value).toBe(U2);
  });

  it('checks every purchase-level field', () => {
    const { errors } = groupPurchases([
      row(2, { totalAmountCents: 2000 }),
      row(3, {
        purchasedAt: '2026-03-04T10:16:00.000Z',
        currency: null,
        totalAmountCents: 2001,
      }),
    ]);
    expect(errors.map((e) => e.column)).toEqual(['purchased_at', 'currency', 'total_amount']);
    expect(errors[1]?.message).toContain('currency (empty) differs from row 2');
    expect(errors[2]?.message).toContain('total_amount "20.01" differs from row 2');
  });

  it('accepts a total within 0.01 of the items and refuses more', () => {
    const near = groupPurchases([row(2, { totalAmountCents: 1001 })]);
    expect(near.errors).toEqual([]);
    expect(near.purchases[0]?.totalAmountCents).toBe(1001);

    const far = groupPurchases([
      row(2, { totalAmountCents: 3000 }),
      row(3, { totalAmountCents: 3000, quantity: 1 }),
    ]);
    expect(far.purchases).toEqual([]);
    expect(far.errors).toEqual([
      {
        row: 2,
        column: 'total_amount',
        code: 'total_mismatch',
        message:
          'total_amount 30.00 of transaction "T1" does not match its items, which add up to 20.00 (rows 2, 3)',
        value: '30.00',
      },
    ]);
  });

  it('keeps a transaction with a bad row out without reporting its other rows', () => {
    const { purchases, errors } = groupPurchases(
      [row(2), row(4, { transactionNumber: 'T2' })],
      ['T1'],
    );
    expect(errors).toEqual([]);
    expect(purchases.map((p) => p.transactionNumber)).toEqual(['T2']);
  });

  it('refuses a purchase whose items add up beyond numeric(12,2)', () => {
    const { purchases, errors } = groupPurchases([
      row(2, { quantity: 2_000_000_000, unitPriceCents: 999_999_999_999 }),
    ]);
    expect(purchases).toEqual([]);
    expect(errors[0]).toMatchObject({ code: 'out_of_range', row: 2 });
  });

  it('keeps each row note on its item and the first note on the purchase', () => {
    const { purchases } = groupPurchases([
      row(2),
      row(3, { notes: 'gift' }),
      row(4, { notes: 'rush' }),
    ]);
    expect(purchases[0]?.notes).toBe('gift');
    expect(purchases[0]?.items.map((i) => i.notes)).toEqual([null, 'gift', 'rush']);
  });

  it('packs exactly the purchases it would build, with the same figures', () => {
    const rows = [
      row(2, { transactionNumber: 'B', notes: 'n' }),
      row(3, { transactionNumber: 'A', skuId: S2, totalAmountCents: 500, unitPriceCents: 500 }),
      row(4, { transactionNumber: 'B', quantity: 3, purchasedAt: '2026-01-01T00:00:00.000Z' }),
      row(5, { transactionNumber: 'C', userId: U2, currency: null, storeCode: null }),
      row(6, { transactionNumber: 'B' }),
      row(7, { transactionNumber: 'D', totalAmountCents: 1 }),
    ];
    const build = () => {
      const g = new PurchaseGrouper();
      g.exclude('X');
      rows.forEach((r) => g.add(r));
      return g;
    };
    const objects = build().finish();
    const packed = build().finishPacked();
    expect(unpackPurchases(packed.packed)).toEqual(objects.purchases);
    expect(packed.errors).toEqual(objects.errors);
    expect(packed.stats).toEqual(purchaseStats(objects.purchases));
    expect(objects.purchases.map((p) => p.transactionNumber)).toEqual(['A', 'C']);
  });
});
