import { describe, expect, it } from 'vitest';
import { analyseCsvText } from './analyse';
import { applyReferenceCheck, collectReferenceIds } from './reference-check';

const U1 = '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01';
const U2 = '1b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b02';
const S1 = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';
const S2 = '7f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e6';
const AT = '2026-03-04T10:15:00Z';

const csv = [
  'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price,currency,total_amount,store_code,notes',
  `T1,${U1},${AT},${S1},2,12.50,EUR,35.00,S1,gift`,
  `T1,${U1},${AT},${S2},1,10,EUR,35.00,S1,`,
  `T2,${U2},${AT},${S1},1,1.99,,,S1,`,
  `T3,${U1},${AT},${S2},3,0.10,EUR,,S2,`,
].join('\n');
const report = analyseCsvText(csv, {}, 'r.csv');

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
