import { describe, expect, it } from 'vitest';
import { U1, U2, S1, S2, fourItemsReport } from './four-items.fixture';
import { packPurchases } from './packed-report';
import { PurchaseList } from './purchase-list';
import { applyReferenceCheck, collectReferenceIds, ReferenceJudge } from './reference-check';
import type { Purchase } from './types';
import { applyReferenceCheckSteps } from './reference-check-steps';
import { runSteps } from './steps';

const report = fourItemsReport;

describe('collectReferenceIds', () => {
  it('lists the distinct ids of the importable purchases', () => {
    expect(report.errors).toEqual([]);
    expect(collectReferenceIds(report)).toEqual({
      userIds: [U1, U2],
      skuIds: [S1, S2],
      transactionNumbers: ['T1', 'T2', 'T3'],
    });
  });
});

describe('applyReferenceCheck', () => {
  it('flags every row using an unknown user or SKU and drops those purchases', () => {
    const checked = applyReferenceCheck(
      report,
      { unknownUserIds: [U2], unknownSkuIds: [S2.toUpperCase()], existingTransactions: [] },
      { skipExisting: false },
    );
    expect(checked.errors.map((e) => [e.row, e.column, e.code, e.value])).toEqual([
      [3, 'sku_id', 'unknown_sku', S2],
      [4, 'user_id', 'unknown_user', U2],
      [5, 'sku_id', 'unknown_sku', S2],
    ]);
    expect(checked.purchases).toEqual([]);
    expect(checked.summary).toMatchObject({ purchases: 0, errorRows: 3, rows: 4 });
    expect(checked.summary.errorsByCode).toEqual({ unknown_sku: 2, unknown_user: 1 });
    expect(report.purchases).toHaveLength(3); // the input report is not changed
  });

  it('refuses already imported transactions on every row, naming the batch', () => {
    const batch = '9d5f0c1e-0000-4000-8000-000000000001';
    const checked = applyReferenceCheck(
      report,
      {
        unknownUserIds: [],
        unknownSkuIds: [],
        existingTransactions: [{ transactionNumber: 'T1', batchId: batch }],
      },
      { skipExisting: false },
    );
    expect(checked.errors.map((e) => [e.row, e.code])).toEqual([
      [2, 'already_imported'],
      [3, 'already_imported'],
    ]);
    expect(checked.errors[0]?.message).toBe(
      `transaction_number "T1" was already imported in batch ${batch}`,
    );
    expect(checked.purchases.map((p) => p.transactionNumber)).toEqual(['T2', 'T3']);
  });

  it('skips existing transactions with warnings when asked to', () => {
    const checked = applyReferenceCheck(
      report,
      {
        unknownUserIds: [],
        unknownSkuIds: [],
        existingTransactions: [{ transactionNumber: 'T2', batchId: null }],
      },
      { skipExisting: true },
    );
    expect(checked.errors).toEqual([]);
    expect(checked.warnings).toEqual([
      {
        row: 4,
        column: 'transaction_number',
        code: 'already_imported',
        message: 'transaction_number "T2" was already imported; skipped',
        value: 'T2',
        severity: 'warning',
      },
    ]);
    expect(checked.purchases.map((p) => p.transactionNumber)).toEqual(['T1', 'T3']);
    expect(checked.summary.warningsByCode).toEqual({ already_imported: 1 });
    expect(checked.referenceCheck?.skipExisting).toBe(true);
  });
});

describe('applyReferenceCheckSteps over packed purchases (issue 18)', () => {
  it('rejects a purchase whose later item names an unknown SKU, as applyReferenceCheck does', () => {
    const check = { unknownUserIds: [], unknownSkuIds: [S2], existingTransactions: [] };
    const expected = applyReferenceCheck(report, check, { skipExisting: false });
    // Row 3 (T1's second item) and row 5 use S2: T1 goes although its first item is known.
    expect(expected.purchases.map((p) => p.transactionNumber)).toEqual(['T2']);
    const packed = runSteps(
      applyReferenceCheckSteps(
        { ...report, purchases: PurchaseList.fromPacked(packPurchases(report.purchases)) },
        check,
        { skipExisting: false },
      ),
    );
    expect({ ...packed, purchases: packed.purchases.toArray() }).toEqual(expected);
  });

  it('keeps no verdict by code across lists whose codes differ', () => {
    // Packed alone, each purchase's SKU gets the same code: S1 in one list, S2 in the other.
    const judge = new ReferenceJudge(
      { unknownUserIds: [], unknownSkuIds: [S2], existingTransactions: [] },
      { skipExisting: false },
    );
    const T2 = report.purchases.find((p) => p.transactionNumber === 'T2') as Purchase;
    const withSku = (skuId: string) =>
      PurchaseList.fromPacked(
        packPurchases([{ ...T2, items: T2.items.map((item) => ({ ...item, skuId })) }]),
      );
    const known = withSku(S1);
    const unknown = withSku(S2);
    expect(known.skuCode(0, 0)).toBe(unknown.skuCode(0, 0));
    for (const [list, passes] of [
      [known, true],
      [unknown, false],
      [known, true],
    ] as const) {
      expect(judge.passes(list, 0)).toBe(passes);
    }
  });
});
