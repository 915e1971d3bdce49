import fc from 'fast-check';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { revalidateRowsOracle } from '../../test/oracles/revalidate-rows';
import { analyseCsvText, analyseCsvTextWithRows, type RowEdit } from './analyse';
import { applyReferenceCheck } from './reference-check';
import { applyReferenceCheckSteps } from './reference-check-steps';
import { packPurchases } from './packed-report';
import { PurchaseList } from './purchase-list';
import { revalidateRows, revalidateRowsSteps } from './revalidate-steps';
import { RowStore } from './row-store';
import { runSteps } from './steps';
import type { CanonicalColumn, ReferenceCheck, RawRow } from './types';

// Issue 18: the edit path runs in steps on main. Property: for random small files with defects
// and random edits, it gives exactly what the one-go oracle (test/oracles/revalidate-rows.ts) gives, and (for cell edits)
// the same errors and purchases as analysing the edited file from scratch.

const U1 = '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01';
const U2 = '1b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b02';
const S1 = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';
const S2 = '7f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e6';
const COLUMNS = [
  'transaction_number',
  'user_id',
  'purchased_at',
  'sku_id',
  'quantity',
  'unit_price',
  'total_amount',
] as const satisfies readonly CanonicalColumn[];

const values: Record<(typeof COLUMNS)[number], readonly string[]> = {
  transaction_number: ['T1', 'T2', 'T3', 'T4', ' T2 ', ''],
  user_id: [U1, U1, U2, 'nobody'],
  purchased_at: ['2026-03-04T10:15:00Z', '2026-03-05T08:00:00Z', '2026-03-04', 'soon'],
  sku_id: [S1, S2, S2, 'x'],
  quantity: ['1', '2', '3', '0', '2.5', ''],
  unit_price: ['10', '5.00', '0.5', 'x', '1.005'],
  total_amount: ['', '', '20.00', '10.00', 'y'],
};

const cell = (column: (typeof COLUMNS)[number]) => fc.constantFrom(...values[column]);
const record = fc.tuple(...COLUMNS.map((c) => cell(c)));
const file = fc.array(record, { minLength: 1, maxLength: 14 });
const edit = (rows: number) =>
  fc.oneof(
    {
      weight: 1,
      arbitrary: fc.record({
        row: fc.integer({ min: 2, max: rows + 1 }),
        delete: fc.constant(true),
      }),
    },
    {
      weight: 5,
      arbitrary: fc
        .tuple(fc.integer({ min: 2, max: rows + 1 }), fc.constantFrom(...COLUMNS))
        .chain(([row, column]) =>
          cell(column).map((value): RowEdit => ({ row, cells: { [column]: value } })),
        ),
    },
  );
const check = fc.record({
  unknownUserIds: fc.subarray([U2]),
  unknownSkuIds: fc.subarray([S2]),
  existingTransactions: fc.subarray([{ transactionNumber: 'T3', batchId: null }]),
});

function csv(records: readonly (readonly string[])[]): string {
  return Papa.unparse({ fields: [...COLUMNS], data: records.map((r) => [...r]) });
}

function recordsOf(rows: readonly RawRow[]): string[][] {
  return rows.map((r) => COLUMNS.map((c) => r.cells[c]));
}

describe('revalidateRows (in steps)', () => {
  it('gives exactly what the one-go oracle gives, and what a full re-analysis gives', () => {
    fc.assert(
      fc.property(
        file.chain((records) =>
          fc.tuple(
            fc.constant(records),
            fc.array(edit(records.length), { minLength: 1, maxLength: 4 }),
            fc.option(check, { nil: undefined }),
            fc.boolean(),
          ),
        ),
        ([records, edits, reference, skipExisting]) => {
          const base = analyseCsvTextWithRows(
            csv(records),
            {},
            { fileName: 'p.csv', keepRows: true },
          );
          const report = reference
            ? applyReferenceCheck(base.report, reference, { skipExisting })
            : base.report;
          const input = { report, rawRows: base.rawRows ?? [], edits };
          const sliced = revalidateRows(input);
          expect(sliced).toEqual(revalidateRowsOracle(input));
          // The session's way: purchases packed as the worker sends them (issue 18).
          const packed = runSteps(
            revalidateRowsSteps({
              report: {
                ...report,
                purchases: PurchaseList.fromPacked(packPurchases(report.purchases)),
              },
              rows: RowStore.fromRows(input.rawRows),
              edits,
            }),
          );
          expect({ ...packed.report, purchases: packed.report.purchases.toArray() }).toEqual(
            sliced.report,
          );
          if (edits.some((e) => e.delete)) return;
          // Cell edits keep row numbers: the edited file analysed from scratch agrees.
          const fresh = analyseCsvText(csv(recordsOf(sliced.rawRows)), {}, 'p.csv');
          const full = reference ? applyReferenceCheck(fresh, reference, { skipExisting }) : fresh;
          expect(sliced.report.errors).toEqual(full.errors);
          expect(sliced.report.warnings).toEqual(full.warnings);
          expect(sliced.report.purchases).toEqual(full.purchases);
          expect(sliced.report.summary).toEqual(full.summary);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('revalidateRowsSteps past one step', () => {
  it('moves a row to a transaction whose number lies in a later piece, as the oracle does', () => {
    // 20,000 transactions of one row each (and one of two): the rows' transaction numbers are
    // compared in place in pieces of 16,384 distinct texts, the purchases in steps of 2,048.
    const records = Array.from({ length: 20_001 }, (_, i) => {
      const n = i === 20_000 ? 19_000 : i;
      return [`T${n}`, U1, '2026-03-04T10:15:00Z', S1, '1', '10', ''];
    });
    const base = analyseCsvTextWithRows(csv(records), {}, { fileName: 'p.csv', keepRows: true });
    const report = applyReferenceCheck(
      base.report,
      { unknownUserIds: [], unknownSkuIds: [], existingTransactions: [] },
      { skipExisting: false },
    );
    const edits: RowEdit[] = [
      // Row 12 (T10) joins T19000, whose rows (19,002 and 20,002) differ in quantity now.
      { row: 12, cells: { transaction_number: ' T19000 ', quantity: '2' } },
      { row: 18_000, cells: { transaction_number: 'T5' } },
    ];
    const input = { report, rawRows: base.rawRows ?? [], edits };
    const oracle = revalidateRowsOracle(input);
    const packed = runSteps(
      revalidateRowsSteps({
        report: { ...report, purchases: PurchaseList.fromPacked(packPurchases(report.purchases)) },
        rows: RowStore.fromRows(input.rawRows),
        edits,
      }),
    );
    expect(packed.affectedTransactions.sort()).toEqual(['T10', 'T17998', 'T19000', 'T5']);
    expect({ ...packed.report, purchases: packed.report.purchases.toArray() }).toEqual(
      oracle.report,
    );
    expect(oracle.report.purchases.some((p) => p.transactionNumber === 'T10')).toBe(false);
    expect(oracle.report.purchases.find((p) => p.transactionNumber === 'T5')?.rows).toEqual([
      7, 18_000,
    ]);
  });
});

describe('applyReferenceCheckSteps', () => {
  it('gives exactly what applyReferenceCheck gives', () => {
    fc.assert(
      fc.property(file, check, fc.boolean(), (records, reference, skipExisting) => {
        const { report } = analyseCsvTextWithRows(csv(records), {}, { fileName: 'p.csv' });
        const options = { skipExisting };
        const expected = applyReferenceCheck(report, reference, options);
        for (const purchases of [
          PurchaseList.fromArray(report.purchases),
          PurchaseList.fromPacked(packPurchases(report.purchases)),
        ]) {
          const applied = runSteps(
            applyReferenceCheckSteps(
              { ...report, purchases },
              reference as ReferenceCheck,
              options,
            ),
          );
          expect({ ...applied, purchases: applied.purchases.toArray() }).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });
});
