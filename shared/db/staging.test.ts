import { describe, expect, it } from 'vitest';
import { U1, S1, AT, fourItemsReport } from '../domain/four-items.fixture';
import type { Purchase } from '../domain/types';
import type { StagedRow } from './rpc-contract';
import {
  chunkPurchases,
  parseArrayLiteral,
  stagedChunkOf,
  stagedRowsOf,
  toStagedChunk,
  toStagedRows,
} from './staging';

const report = fourItemsReport;

describe('toStagedRows', () => {
  it('writes one row per item with exact decimal money', () => {
    const rows = toStagedRows(report.purchases);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({
      row: 2,
      transaction_number: 'T1',
      user_id: U1,
      purchased_at: '2026-03-04T10:15:00.000Z',
      sku_id: S1,
      quantity: 2,
      unit_price: '12.50',
      currency: 'EUR',
      total_amount: '35.00',
      store_code: 'S1',
      notes: 'gift',
    });
    expect(rows[1]).toMatchObject({ unit_price: '10.00', notes: null });
    expect(rows[2]).toMatchObject({ unit_price: '1.99', currency: null, total_amount: '1.99' });
    expect(rows[3]).toMatchObject({ unit_price: '0.10', total_amount: '0.30' });
  });
});

describe('chunkPurchases', () => {
  const purchase = (n: string, items: number): Purchase => ({
    transactionNumber: n,
    userId: U1,
    purchasedAt: AT,
    currency: null,
    totalAmountCents: 0,
    storeCode: null,
    notes: null,
    rows: [],
    items: Array.from({ length: items }, (_, i) => ({
      row: i + 2,
      lineNumber: i + 1,
      skuId: S1,
      quantity: 1,
      unitPriceCents: 0,
    })),
  });

  it('packs whole purchases up to maxRows and gives an oversized purchase its own chunk', () => {
    const chunks = chunkPurchases(
      [purchase('a', 2), purchase('b', 2), purchase('c', 1), purchase('d', 7), purchase('e', 3)],
      5,
    );
    expect(chunks.map((c) => c.map((p) => p.transactionNumber))).toEqual([
      ['a', 'b', 'c'],
      ['d'],
      ['e'],
    ]);
    expect(chunkPurchases([], 5)).toEqual([]);
    expect(() => chunkPurchases([], 0)).toThrow(RangeError);
  });
});

describe('toStagedChunk', () => {
  it('holds exactly the rows toStagedRows writes, each purchase once', () => {
    const chunk = toStagedChunk(report.purchases);
    expect(stagedRowsOf(chunk)).toEqual(toStagedRows(report.purchases));
    expect(chunk).toEqual(stagedChunkOf(toStagedRows(report.purchases)));
    expect(parseArrayLiteral(chunk.purchase)).toEqual(['1', '1', '2', '3']);
    expect(parseArrayLiteral(chunk.transaction_number ?? '')).toHaveLength(3);
  });

  it('quotes what array_in would read otherwise, and leaves out columns with no value', () => {
    const awkward = ['', 'NULL', 'null', ' lead', 'a,b', '{x}', 'say "hi"', 'back\\slash', 'é ü'];
    const rows = awkward.map((notes, i) => ({
      ...(toStagedRows(report.purchases)[0] as StagedRow),
      row: 2 + i,
      notes,
    }));
    const chunk = stagedChunkOf(rows);
    expect(chunk.notes).toBe(
      '{"","NULL","null"," lead","a,b","{x}","say \\"hi\\"","back\\\\slash","é ü"}',
    );
    expect(stagedRowsOf(chunk).map((r) => r.notes)).toEqual(awkward);
    expect(parseArrayLiteral(chunk.purchase)).toEqual(awkward.map(() => '1'));
    expect(chunk).not.toHaveProperty('user_email');
    expect(chunk).not.toHaveProperty('sku_code');
  });

  it('starts a purchase entry wherever a purchase field changes from the row before', () => {
    const [first] = toStagedRows(report.purchases) as [StagedRow];
    const rows: StagedRow[] = [
      first,
      { ...first, row: 3 },
      { ...first, row: 4, store_code: 'other' },
      { ...first, row: 5 },
    ];
    const chunk = stagedChunkOf(rows);
    expect(parseArrayLiteral(chunk.purchase)).toEqual(['1', '1', '2', '3']);
    expect(stagedRowsOf(chunk)).toEqual(rows);
  });
});
