import { describe, expect, it } from 'vitest';
import { analyseCsvTextWithRows } from './analyse';
import {
  packedIssuesSchema,
  packedPurchasesSchema,
  packIssues,
  packedRawRowsSchema,
  packPurchases,
  packRawRows,
  unpackIssues,
  unpackPurchases,
  unpackRawRows,
  joinTextTablesSteps,
  sliceTextTable,
  textsOf,
  textTable,
  textTableSchema,
} from './packed-report';
import { runSteps } from './steps';
import { CANONICAL_COLUMNS, type Purchase } from './types';

const U1 = '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01';
const S1 = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';

describe('packed report', () => {
  const text = [
    'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price,currency,total_amount,store_code,notes',
    `T1,${U1},2026-03-04T10:15:00Z,${S1},2,12.50,EUR,,S1,"a, note"`,
    `T1,${U1},2026-03-04T10:15:00Z,${S1},1,9999999974.99,EUR,,S1,`,
    `T2,${U1},2026-03-05T10:15:00Z,${S1},2147483647,0,,,,`,
  ].join('\n');
  const { report, rawRows = [] } = analyseCsvTextWithRows(
    text,
    {},
    { fileName: 'p.csv', keepRows: true },
  );

  it('round-trips purchases exactly', () => {
    expect(report.errors).toEqual([]);
    const packed = packPurchases(report.purchases);
    expect(packedPurchasesSchema.safeParse(packed).success).toBe(true);
    expect(unpackPurchases(structuredClone(packed))).toEqual(report.purchases);
  });

  it('keeps an absent item note apart from a null one', () => {
    const p: Purchase = {
      ...(report.purchases[1] as Purchase),
      items: [{ row: 4, lineNumber: 1, skuId: S1, quantity: 1, unitPriceCents: 5 }],
    };
    expect(unpackPurchases(packPurchases([p]))).toEqual([p]);
  });

  it('round-trips raw rows', () => {
    const packed = packRawRows(rawRows);
    expect(packedRawRowsSchema.safeParse(packed).success).toBe(true);
    expect(unpackRawRows(packed)).toEqual(rawRows);
    expect(unpackRawRows(structuredClone(packed))).toEqual(rawRows);
  });

  it('sends each distinct cell text of a column once (issue 18: 10M strings at 1M rows)', () => {
    const packed = packRawRows(rawRows);
    const column = (name: string) => packed.columns[CANONICAL_COLUMNS.indexOf(name as never)];
    // Three rows: two transactions, one user, two dates, one SKU.
    const texts = (name: string) => {
      const values = column(name)?.values;
      return values ? textsOf(values) : [];
    };
    expect(texts('transaction_number')).toEqual(['T1', 'T2']);
    expect(texts('user_id')).toEqual([U1]);
    expect([...(column('transaction_number')?.codes ?? [])]).toEqual([0, 0, 1]);
    // Rows unpacked on the other side share one string per distinct text.
    const unpacked = unpackRawRows(structuredClone(packed));
    expect(unpacked.map((r) => r.cells.user_id)).toEqual([U1, U1, U1]);
  });

  it('refuses raw rows whose codes name no value', () => {
    const packed = packRawRows(rawRows);
    const broken = structuredClone(packed);
    (broken.columns[0] as { codes: Int32Array }).codes[1] = 7;
    expect(packedRawRowsSchema.safeParse(broken).success).toBe(false);
    const short = structuredClone(packed);
    (short.columns[2] as { codes: Int32Array }).codes = new Int32Array(1);
    expect(packedRawRowsSchema.safeParse(short).success).toBe(false);
  });

  it('refuses a text table whose ends do not ascend within its text', () => {
    const good = textTable(['ab', '', 'cde']);
    expect(textsOf(good)).toEqual(['ab', '', 'cde']);
    expect(textTableSchema.safeParse(good).success).toBe(true);
    const backwards = { text: 'abcde', ends: Int32Array.from([2, 1, 5]) };
    expect(textTableSchema.safeParse(backwards).success).toBe(false);
    const beyond = { text: 'abcde', ends: Int32Array.from([2, 2, 6]) };
    expect(textTableSchema.safeParse(beyond).success).toBe(false);
    const short = { text: 'abcde', ends: Int32Array.from([2, 2, 4]) };
    expect(textTableSchema.safeParse(short).success).toBe(false);
    // Cut in parts (as the worker sends the purchases' strings) and joined again (as main does).
    const texts = ['T1', '', 'ü𝄞x', 'T1', 'long text with spaces', ''];
    const table = textTable(texts);
    for (const size of [1, 2, 4, 6]) {
      const parts = [];
      for (let from = 0; from < texts.length; from += size) {
        parts.push(structuredClone(sliceTextTable(table, from, from + size)));
      }
      expect(parts.every((p) => textTableSchema.safeParse(p).success)).toBe(true);
      expect(textsOf(runSteps(joinTextTablesSteps(parts)))).toEqual(texts);
    }
    // Parts longer than one step of shifting (issue 18: the offsets are shifted in pieces).
    const many = Array.from({ length: 70_000 }, (_, i) => `t${i}`);
    const big = textTable(many);
    const bigParts = [0, 30_000, 60_000].map((from) => sliceTextTable(big, from, from + 30_000));
    expect(textsOf(runSteps(joinTextTablesSteps(bigParts)))).toEqual(many);
    const negative = { text: '', ends: Int32Array.from([-1, 0]) };
    expect(textTableSchema.safeParse(negative).success).toBe(false);
    const packed = packRawRows(rawRows);
    const broken = structuredClone(packed);
    (broken.columns[1] as { values: { ends: Int32Array } }).values.ends[0] = 99;
    expect(packedRawRowsSchema.safeParse(broken).success).toBe(false);
  });

  it('round-trips errors and warnings', () => {
    const issues = [
      {
        row: 1,
        column: 'Colour',
        code: 'unknown_column' as const,
        message: 'm',
        value: 'Colour',
        severity: 'warning' as const,
      },
      { row: 2, column: null, code: 'malformed_csv' as const, message: 'x', value: null },
      {
        row: 3,
        column: 'quantity',
        code: 'invalid_integer' as const,
        message: 'q',
        value: '2.5',
        severity: 'error' as const,
      },
    ];
    const packed = packIssues(issues);
    expect(packedIssuesSchema.safeParse(packed).success).toBe(true);
    expect(unpackIssues(structuredClone(packed))).toEqual(issues);
    expect(packedIssuesSchema.safeParse({ ...packed, messages: [] }).success).toBe(false);
  });

  it('refuses inconsistent arrays', () => {
    const packed = packPurchases(report.purchases);
    expect(
      packedPurchasesSchema.safeParse({ ...packed, totals: new Float64Array(1) }).success,
    ).toBe(false);
  });
});
