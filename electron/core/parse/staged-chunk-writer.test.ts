import { describe, expect, it } from 'vitest';
import { toStagedChunk } from '../../../shared/db/staging';
import { MAX_CENTS } from '../../../shared/domain/money';
import type { Purchase } from '../../../shared/domain/types';
import { createRng, seededIds } from '../../../test/fixtures/generate-purchases';
import type { ChunkColumns } from '../../../shared/domain/stream-chunks';
import { StagedChunkWriter } from './staged-chunk-writer';

// The worker's encoder writes the very text toStagedChunk writes for the same purchases.

/** Purchases as the grouper's columns (ChunkColumns), written. */
function written(writer: StagedChunkWriter, purchases: readonly Purchase[]): string {
  const items = purchases.flatMap((p) =>
    p.items.map((item) => ({ ...item, notes: item.notes === undefined ? p.notes : item.notes })),
  );
  // Item fields at shuffled places, read through `items` as the grouper's linked lists are.
  const at = items.map((_, k) => (k * 7919) % (items.length * 2 + 1));
  const size = items.length * 2 + 1;
  const row = new Int32Array(size);
  const quantity = new Int32Array(size);
  const unitPriceCents = new Float64Array(size);
  const skuId = new Array<string>(size).fill('');
  const notes = new Array<string | null>(size).fill('unused');
  items.forEach((item, k) => {
    const i = at[k] as number;
    row[i] = item.row;
    quantity[i] = item.quantity;
    unitPriceCents[i] = item.unitPriceCents;
    skuId[i] = item.skuId;
    notes[i] = item.notes ?? null;
  });
  const columns: ChunkColumns = {
    transactionNumber: purchases.map((p) => p.transactionNumber),
    userId: purchases.map((p) => p.userId),
    purchasedAt: purchases.map((p) => p.purchasedAt),
    currency: purchases.map((p) => p.currency),
    totalAmountCents: Float64Array.from(purchases.map((p) => p.totalAmountCents)),
    storeCode: purchases.map((p) => p.storeCode),
    itemCount: Int32Array.from(purchases.map((p) => p.items.length)),
    items: Int32Array.from(at),
    row,
    skuId,
    quantity,
    unitPriceCents,
    notes,
  };
  return JSON.stringify(writer.write(columns));
}

const U = [...seededIds(3, 1), 'email:ann@example.com', 'email:o"dd, one@example.com'];
const S = [...seededIds(5, 2), 'code:BEAN-1KG', 'code:with space'];
/** Texts array_in reads otherwise (quoted), and some it reads as they are. */
const ODD = [
  '',
  ' ',
  'NULL',
  'null',
  'Null',
  'nullx',
  'a b',
  'tab\there',
  'line\nbreak',
  'quote " in',
  'back\\slash',
  '{brace}',
  'com,ma',
  'café',
  'naïve "ü" \\ {x}',
  '日本語',
  'emoji 🎉',
  '\u00a0nbsp',
  'plain',
  'x'.repeat(300),
];

function purchase(
  n: number,
  rng: () => number,
  pick: <T>(a: readonly T[]) => T,
  firstRow: number,
): Purchase {
  const items = Array.from({ length: n }, (_, i) => ({
    row: firstRow + i,
    lineNumber: i + 1,
    skuId: pick(S),
    quantity: 1 + Math.floor(rng() * 1000),
    unitPriceCents: pick([0, 1, 9, 10, 99, 100, 1005, 123456, MAX_CENTS]),
    notes: rng() < 0.5 ? null : pick(ODD),
  }));
  return {
    transactionNumber: rng() < 0.7 ? `T-${firstRow}` : `${pick(ODD)}#${firstRow}`,
    userId: pick(U),
    purchasedAt: '2026-03-04T10:15:00.000Z',
    currency: rng() < 0.2 ? null : pick(['EUR', 'USD']),
    totalAmountCents: pick([0, 5, 100, 250000, MAX_CENTS]),
    storeCode: rng() < 0.3 ? null : pick(ODD),
    notes: null,
    rows: items.map((i) => i.row),
    items,
  };
}

describe('StagedChunkWriter', () => {
  it('writes toStagedChunk text for odd texts, nulls, money edges, chunk after chunk', () => {
    const rng = createRng(7);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rng() * a.length)] as T;
    const writer = new StagedChunkWriter();
    let row = 2;
    for (let chunk = 0; chunk < 200; chunk++) {
      const purchases: Purchase[] = [];
      for (let p = 0, size = 1 + Math.floor(rng() * 6); p < size; p++) {
        const n = 1 + Math.floor(rng() * 12);
        purchases.push(purchase(n, rng, pick, row));
        row += n * 997; // rows of many digits
      }
      expect(written(writer, purchases)).toBe(JSON.stringify(toStagedChunk(purchases)));
    }
  });

  it('leaves out columns with nothing but NULL, as toStagedChunk does', () => {
    const bare: Purchase = {
      transactionNumber: 'T1',
      userId: U[0] as string,
      purchasedAt: '2026-03-04T10:15:00.000Z',
      currency: null,
      totalAmountCents: 250,
      storeCode: null,
      notes: null,
      rows: [2],
      items: [{ row: 2, lineNumber: 1, skuId: S[0] as string, quantity: 1, unitPriceCents: 250 }],
    };
    const writer = new StagedChunkWriter();
    const text = written(writer, [bare]);
    expect(text).toBe(JSON.stringify(toStagedChunk([bare])));
    expect(Object.keys(JSON.parse(text) as object)).not.toContain('notes');
    // A big chunk grows the buffers; the next small one starts clean.
    const big = Array.from({ length: 12_000 }, (_, i) => ({
      ...bare,
      transactionNumber: `B${i} ${ODD[i % ODD.length] ?? ''}`,
      notes: ODD[i % ODD.length] ?? null,
      items: bare.items.map((it) => ({ ...it, row: i + 2, notes: undefined })),
    }));
    expect(written(writer, big)).toBe(JSON.stringify(toStagedChunk(big)));
    expect(written(writer, [bare])).toBe(text);
  });
});
