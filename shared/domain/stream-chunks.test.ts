import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatePurchases, generatePurchasesCsv } from '../../test/fixtures/generate-purchases';
import { toStagedChunk } from '../db/staging';
import { analyseCsvText, analyseCsvTextWithRows, RecordAnalyser } from './analyse';
import { SHOPIFY_ORDERS } from './mapping-presets';
import { PurchaseList } from './purchase-list';
import { ChunkStream } from './stream-chunks';
import { CsvRecordReader } from '../sources/csv-records';
import { parseCsvChunks } from '../csv/csv-parse';
import type { ParseOptions, Purchase } from './types';

const U1 = '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01';
const U2 = '1c8f5a8b-4d2e-4f9c-8b66-3a1e7d2f0c12';
const S1 = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';
const S2 = '7a2d3e4f-5b6c-4d7e-9f80-a1b2c3d4e5f6';
const HEADER =
  'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price,currency,total_amount,store_code,notes';

/** A chunk handed out, its purchases made. */
interface PurchaseChunk {
  chunkNo: number;
  rows: number;
  purchases: Purchase[];
}

interface Streamed {
  chunks: PurchaseChunk[];
  /** Chunks handed out before finish() was called. */
  beforeFinish: number;
  report: ReturnType<typeof analyseCsvText>;
  stream: { chunks: number; rows: number; broken: string | null };
}

/** The in-memory door (analyseCsvTextWithRows) with chunks streamed. */
function streamed(text: string, options: ParseOptions, maxRows: number): Streamed {
  const chunks: PurchaseChunk[] = [];
  let finishing = false;
  let beforeFinish = 0;
  const analyser = new RecordAnalyser(options, {
    fileName: 'f.csv',
    streamChunks: {
      maxRows,
      onChunk: (chunk) => {
        const purchases = chunk.purchases();
        expect(chunk.size).toBe(purchases.length);
        chunks.push({ chunkNo: chunk.chunkNo, rows: chunk.rows, purchases });
        if (!finishing) beforeFinish++;
      },
    },
  });
  const reader = new CsvRecordReader(analyser, options.csv ?? {});
  parseCsvChunks(text, options.csv ?? {}, (chunk) => reader.chunk(chunk));
  finishing = true;
  const result = analyser.finish('');
  if (!result.stream) throw new Error('no stream result');
  return { chunks, beforeFinish, report: result.report, stream: result.stream };
}

const json = (v: unknown): string => JSON.stringify(v);
const itemsOf = (purchases: readonly Purchase[]): number =>
  purchases.reduce((n, p) => n + p.items.length, 0);

/** The streamed chunks are the commit's chunks of the finished report, byte for byte. */
function expectCommitChunks(text: string, options: ParseOptions, maxRows: number): Streamed {
  const plain = analyseCsvText(text, options, 'f.csv');
  const out = streamed(text, options, maxRows);
  expect(out.stream.broken).toBeNull();
  expect(json(out.report)).toBe(json(plain));
  const list = PurchaseList.fromArray(plain.purchases).chunks(maxRows);
  expect(out.chunks.map((c) => c.chunkNo)).toEqual([...Array(list.length).keys()]);
  for (let k = 0; k < list.length; k++) {
    const chunk = out.chunks[k] as PurchaseChunk;
    const expected = list.at(k);
    expect(json(toStagedChunk(chunk.purchases))).toBe(json(toStagedChunk(expected)));
    expect(chunk.purchases).toEqual(expected);
    expect(chunk.rows).toBe(itemsOf(expected));
  }
  expect(out.stream).toEqual({ chunks: list.length, rows: list.rows, broken: null });
  expect(list.rows).toBe(plain.summary.items);
  return out;
}

/** A broken stream: the report is the unstreamed one, and nothing past the break went out. */
function expectBroken(
  text: string,
  options: ParseOptions,
  maxRows: number,
  reason: RegExp,
): Streamed {
  const plain = analyseCsvText(text, options, 'f.csv');
  const out = streamed(text, options, maxRows);
  expect(out.stream.broken).toMatch(reason);
  expect(json(out.report)).toBe(json(plain));
  expect(out.stream.chunks).toBe(out.chunks.length);
  expect(out.stream.rows).toBe(out.chunks.reduce((n, c) => n + c.rows, 0));
  // What went out before the break is still the commit's cut of those purchases.
  out.chunks.forEach((c, k) => expect(c.chunkNo).toBe(k));
  return out;
}

const line = (cells: (string | number)[]): string => cells.join(',');
const rowOf = (
  tn: string,
  over: {
    user?: string;
    sku?: string;
    qty?: number;
    price?: string;
    total?: string;
    notes?: string;
  } = {},
): string =>
  line([
    tn,
    over.user ?? U1,
    '2026-03-04T10:15:00Z',
    over.sku ?? S1,
    over.qty ?? 1,
    over.price ?? '2.50',
    'EUR',
    over.total ?? '',
    'S1',
    over.notes ?? '',
  ]);
const csv = (rows: string[]): string => [HEADER, ...rows].join('\n') + '\n';

/** Many small purchases, so a break in the middle comes after some chunks went out. */
function manyPurchases(count: number): string[] {
  const rows: string[] = [];
  for (let p = 0; p < count; p++) {
    for (let i = 0; i <= p % 3; i++) rows.push(rowOf(`T${p}`, { sku: i % 2 ? S2 : S1 }));
  }
  return rows;
}

describe('ChunkStream', () => {
  it('cuts by PurchaseList.chunks rule: a purchase that does not fit starts a chunk, a big one is alone', () => {
    const purchase = (n: number, tn: string): Purchase => ({
      transactionNumber: tn,
      userId: U1,
      purchasedAt: '2026-03-04T10:15:00.000Z',
      currency: 'EUR',
      totalAmountCents: n,
      storeCode: null,
      notes: null,
      rows: [],
      items: Array.from({ length: n }, (_, i) => ({
        row: i + 2,
        lineNumber: i + 1,
        skuId: S1,
        quantity: 1,
        unitPriceCents: 1,
        notes: null,
      })),
    });
    const sizes = [3, 4, 1, 9, 2, 5, 5, 7, 1];
    const purchases = sizes.map((n, i) => purchase(n, `T${i}`));
    const cut: number[][] = [];
    const stream = new ChunkStream<Purchase>({
      maxRows: 7,
      onChunk: (c) => cut.push(c.purchases.map((p) => p.items.length)),
    });
    for (const p of purchases) stream.purchase(p, p.items.length);
    expect(stream.end()).toEqual({ chunks: 7, rows: 37, broken: null });
    const list = PurchaseList.fromArray(purchases).chunks(7);
    const expected = Array.from({ length: list.length }, (_, k) =>
      list.at(k).map((p) => p.items.length),
    );
    expect(cut).toEqual(expected);
    expect(cut).toEqual([[3, 4], [1], [9], [2, 5], [5], [7], [1]]);
  });

  it('refuses a chunk size that is not a positive integer', () => {
    expect(() => new ChunkStream({ maxRows: 0, onChunk: () => {} })).toThrow(RangeError);
    expect(() => new ChunkStream({ maxRows: 2.5, onChunk: () => {} })).toThrow(RangeError);
  });
});

describe('chunks streamed while the file is read', () => {
  it('are the commit chunks of the samples that stream; the others break with their report intact', () => {
    const sample = (name: string): string =>
      readFileSync(new URL(`../../samples/${name}`, import.meta.url), 'utf8');
    for (const maxRows of [1, 7, 5000]) {
      const out = expectCommitChunks(sample('sample-purchases.csv'), {}, maxRows);
      expect(out.chunks.length).toBeGreaterThan(0);
      if (maxRows < 5000) expect(out.beforeFinish).toBeGreaterThan(0);
      expectBroken(sample('sample-purchases-defects.csv'), {}, maxRows, /error/);
      expectBroken(
        sample('sample-shopify-orders.csv'),
        { columnMapping: SHOPIFY_ORDERS.mapping, fillOrderFields: true },
        maxRows,
        /e-mail/,
      );
    }
  });

  it('are the commit chunks of generated files (1..12 items, notes, no totals), chunk sizes 1, 7, 5000', () => {
    for (const [seed, withTotals] of [
      [1, true],
      [2, false],
    ] as const) {
      const text = generatePurchasesCsv({
        purchases: 2000,
        itemsPerPurchase: [1, 12],
        notesRate: 0.3,
        withTotals,
        seed,
      });
      for (const maxRows of [1, 7, 5000]) {
        const out = expectCommitChunks(text, {}, maxRows);
        // Handed out while reading: at finish the last purchase closes, so the chunk before the
        // last one may go out then too.
        expect(out.beforeFinish).toBeGreaterThanOrEqual(out.chunks.length - 2);
        if (maxRows === 7) {
          // Purchases bigger than a chunk went out alone.
          expect(out.chunks.some((c) => c.rows > 7 && c.purchases.length === 1)).toBe(true);
        }
      }
      expect(streamed(text, {}, 5000).chunks.length).toBeGreaterThan(2);
    }
  });

  it('give a purchase the note of a later row, and each item its own', () => {
    const text = csv([
      rowOf('T1'),
      rowOf('T1', { sku: S2, notes: 'gift wrap' }),
      rowOf('T1', { notes: 'second' }),
      rowOf('T2', { notes: '' }),
      rowOf('T3', { user: U2 }),
      rowOf('T3', { user: U2, notes: 'late' }),
    ]);
    for (const maxRows of [1, 2, 3, 5000]) {
      const out = expectCommitChunks(text, {}, maxRows);
      const t1 = out.chunks.flatMap((c) => c.purchases).find((p) => p.transactionNumber === 'T1');
      expect(t1?.notes).toBe('gift wrap');
      expect(t1?.items.map((i) => i.notes)).toEqual([null, 'gift wrap', 'second']);
    }
  });

  it('carry order fields filled down (fillOrderFields)', () => {
    const follow = (tn: string, sku: string, qty: number): string =>
      line([tn, '', '', sku, qty, '1.25', '', '', '', '']);
    const text = csv([
      line(['A1', U1, '2026-03-04T10:15:00Z', S1, 2, '2.50', 'EUR', '7.50', 'S1', '']),
      follow('A1', S2, 1),
      follow('A1', S1, 1),
      line(['A2', U2, '2026-03-05T11:00:00+01:00', S2, 1, '4.00', 'USD', '', 'S2', 'n']),
      follow('A2', S1, 3),
      line(['A3', U1, '2026-03-06T09:00:00Z', S1, 1, '1.00', 'EUR', '1.00', '', '']),
    ]);
    const options = { fillOrderFields: true };
    expect(analyseCsvText(text, options, 'f.csv').errors).toEqual([]);
    for (const maxRows of [1, 2, 4, 5000]) expectCommitChunks(text, options, maxRows);
  });

  it('break at an error row in the middle: nothing from it or after it goes out', () => {
    const rows = manyPurchases(60);
    const bad = 40;
    rows[bad] = rowOf(rows[bad]?.split(',')[0] ?? 'T?', { qty: -1 });
    const text = csv(rows);
    const out = expectBroken(text, {}, 5, /row 42 has an error/);
    const all = streamed(csv(manyPurchases(60)), {}, 5);
    expect(out.chunks.length).toBeGreaterThan(0);
    expect(out.chunks.length).toBeLessThan(all.chunks.length);
    expect(Math.max(...out.chunks.flatMap((c) => c.purchases.flatMap((p) => p.rows)))).toBeLessThan(
      bad + 2,
    );
    // The chunks that went out are the unbroken file's first chunks.
    out.chunks.forEach((c, k) => expect(json(c.purchases)).toBe(json(all.chunks[k]?.purchases)));
  });

  it('break at a total mismatch before the purchase goes out, and at a purchase whose rows disagree', () => {
    const rows = manyPurchases(60);
    rows.splice(50, 0, rowOf('M1', { total: '9.99' }), rowOf('M1', { total: '9.99' }));
    const out = expectBroken(csv(rows), {}, 4, /row 52: transaction "M1": total_mismatch/);
    expect(out.chunks.length).toBeGreaterThan(0);
    expect(out.chunks.flatMap((c) => c.purchases).some((p) => p.transactionNumber === 'M1')).toBe(
      false,
    );
    // The last purchase of the file fails it: caught at the end, nothing more goes out.
    const last = expectBroken(
      csv([...manyPurchases(10), rowOf('M2', { total: '1.00' })]),
      {},
      5000,
      /total_mismatch/,
    );
    expect(last.chunks).toEqual([]);

    const differ = [...manyPurchases(30)];
    differ.splice(20, 0, rowOf('D1'), rowOf('D1', { user: U2 }));
    expectBroken(csv(differ), {}, 3, /user_id differs within transaction "D1"/);
  });

  it('break when a transaction comes back after another one started', () => {
    const rows = [...manyPurchases(20), rowOf('T3'), ...manyPurchases(3).map((r) => `X${r}`)];
    const out = expectBroken(csv(rows), {}, 3, /row 41: transaction "T3" continues after another/);
    expect(out.chunks.length).toBeGreaterThan(0);
    // T3 went out before its late row arrived: that chunk is not the commit's, hence the break.
    // Nothing went out after it: every row handed out came before the late one.
    const final = new Map(out.report.purchases.map((p) => [p.transactionNumber, p]));
    for (const p of out.chunks.flatMap((c) => c.purchases)) {
      expect(Math.max(...p.rows)).toBeLessThan(41);
      if (p.transactionNumber !== 'T3') expect(p).toEqual(final.get(p.transactionNumber));
    }
    expect(out.report.purchases.find((p) => p.transactionNumber === 'T3')?.items).toHaveLength(2);
  });

  it('break when members or SKUs are named by natural keys (their ids come from the reference check)', () => {
    const byEmail = [
      'transaction_number,user_email,purchased_at,sku_id,quantity,unit_price',
      `E1,ann@example.com,2026-03-04T10:15:00Z,${S1},1,2.50`,
      `E2,bob@example.com,2026-03-04T10:15:00Z,${S1},1,2.50`,
      '',
    ].join('\n');
    const email = expectBroken(byEmail, {}, 1, /members are named by e-mail/);
    expect(email.chunks).toEqual([]);
    expect(email.report.errors).toEqual([]);
    const byCode = [
      'transaction_number,user_id,purchased_at,sku_code,quantity,unit_price',
      `C1,${U1},2026-03-04T10:15:00Z,BEAN-1KG,1,2.50`,
      `C2,${U1},2026-03-04T10:15:00Z,MUG-02,1,2.50`,
      '',
    ].join('\n');
    const code = expectBroken(byCode, {}, 1, /SKUs are named by code/);
    expect(code.chunks).toEqual([]);
    expect(code.report.purchases).toHaveLength(2);
  });

  it('break on a file error, and leave the report as it was', () => {
    // A row with too many fields: malformed, the file refused.
    const rows = manyPurchases(10);
    rows.push(`${rowOf('Z1')},extra`);
    expectBroken(csv(rows), {}, 2, /row \d+ has an error/);
    // Columns that cannot be mapped: broken at the header, nothing out.
    const unmapped = expectBroken(
      'transaction_number,user_id\nT1,x\n',
      {},
      1,
      /the columns could not be mapped/,
    );
    expect(unmapped.chunks).toEqual([]);
  });

  it('change nothing when not asked for', () => {
    const { csv: text } = generatePurchases({ purchases: 50, seed: 3 });
    const plain = analyseCsvTextWithRows(text, {}, { fileName: 'f.csv' });
    expect(plain.stream).toBeUndefined();
  });
});
