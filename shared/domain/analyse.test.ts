import fc from 'fast-check';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { CsvRecordReader } from '../sources/csv-records';
import { analyseCsvText, analyseCsvTextWithRows, RecordAnalyser } from './analyse';
import { revalidateRows } from './revalidate-steps';
import { formatCents } from './money';
import { applyReferenceCheck } from './reference-check';
import type { CsvDelimiter, ImportReport, Purchase } from './types';

const U1 = '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01';
const U2 = '1b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b02';
const S1 = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';
const S2 = '7f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e6';
const AT = '2026-03-04T10:15:00Z';
const HEADER = 'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price';

const lines = (...rows: string[]): string => rows.join('\n');
const codes = (r: ImportReport): [number, string | null, string][] =>
  r.errors.map((e) => [e.row, e.column, e.code]);

describe('analyseCsvText: file shapes', () => {
  const simple = lines(HEADER, `T1,${U1},${AT},${S1},2,12.50`, `T2,${U1},${AT},${S2},1,3`);

  it('reads a plain file into purchases and a summary', () => {
    const r = analyseCsvText(simple, {}, 'a.csv');
    expect(r.errors).toEqual([]);
    expect(r.fileName).toBe('a.csv');
    expect(r.summary).toEqual({
      rows: 2,
      purchases: 2,
      items: 2,
      totalAmountCents: 2800,
      firstPurchasedAt: '2026-03-04T10:15:00.000Z',
      lastPurchasedAt: '2026-03-04T10:15:00.000Z',
      errorRows: 0,
      errorsByCode: {},
      warningsByCode: {},
    });
    expect(r.settings).toEqual({
      source: { format: 'csv', delimiter: ',', encoding: null },
      decimalComma: false,
      dateFormat: 'iso',
      timeZone: null,
      defaultCurrency: null,
    });
  });

  it.each([
    ['BOM', `\ufeff${simple}`],
    ['CRLF', simple.replaceAll('\n', '\r\n')],
    ['CR', simple.replaceAll('\n', '\r')],
    ['trailing newline and blank lines', `${simple}\n\n  \n`],
  ])('reads a file with %s the same way', (_, text) => {
    const r = analyseCsvText(text, {}, 'a.csv');
    expect(r.errors).toEqual([]);
    expect(r.headers[0]).toBe('transaction_number');
    expect(r.purchases.map((p) => p.rows)).toEqual([[2], [3]]);
  });

  it.each<[CsvDelimiter, string]>([
    [',', ','],
    [';', ';'],
    ['\t', '\t'],
    ['|', '|'],
  ])('detects the %j delimiter', (delimiter) => {
    const text = simple.replaceAll(',', delimiter);
    const r = analyseCsvText(text, {}, 'a.csv');
    expect(r.errors).toEqual([]);
    expect(r.settings?.source).toEqual({ format: 'csv', delimiter, encoding: null });
    expect(r.purchases).toHaveLength(2);
  });

  it('turns decimal comma on by default for ; files only', () => {
    const semi = lines(HEADER.replaceAll(',', ';'), `T1;${U1};${AT};${S1};2;12,50`);
    const r = analyseCsvText(semi, {}, 'a.csv');
    expect(r.settings?.decimalComma).toBe(true);
    expect(r.purchases[0]?.items[0]?.unitPriceCents).toBe(1250);
    const off = analyseCsvText(semi, { decimalComma: false }, 'a.csv');
    expect(codes(off)).toEqual([[2, 'unit_price', 'ambiguous_number']]);
    const quoted = lines(HEADER, `T1,${U1},${AT},${S1},2,"12,50"`);
    expect(codes(analyseCsvText(quoted, {}, 'a.csv'))).toEqual([
      [2, 'unit_price', 'ambiguous_number'],
    ]);
    expect(analyseCsvText(quoted, { decimalComma: true }, 'a.csv').purchases).toHaveLength(1);
  });

  it('keeps spreadsheet row numbers through quoted commas and line breaks', () => {
    const text = lines(
      `${HEADER},notes`,
      `T1,${U1},${AT},${S1},1,1,"a, b"`,
      `T2,${U1},${AT},${S1},1,1,"line one`,
      `line two`,
      `line three"`,
      ``,
      `T3,${U1},${AT},${S1},x,1,`,
    );
    const r = analyseCsvText(text, {}, 'a.csv');
    expect(r.purchases.map((p) => [p.transactionNumber, p.rows])).toEqual([
      ['T1', [2]],
      ['T2', [3]],
    ]);
    expect(r.purchases[1]?.notes).toBe('line one\nline two\nline three');
    // Row 4 is the blank line, still counted: a spreadsheet shows it as row 4 too.
    expect(codes(r)).toEqual([[5, 'quantity', 'invalid_integer']]);
  });

  it('reports rows with too many or too few fields as malformed and excludes their purchase', () => {
    const text = lines(
      HEADER,
      `T1,${U1},${AT},${S1},1,1`,
      `T1,${U1},${AT},${S1},1,12,50`,
      `T2,${U1},${AT},${S1},1`,
      `T3,${U1},${AT},${S1},1,1`,
    );
    const r = analyseCsvText(text, {}, 'a.csv');
    expect(codes(r)).toEqual([
      [3, null, 'malformed_csv'],
      [4, null, 'malformed_csv'],
    ]);
    expect(r.errors[0]?.message).toBe(
      'the row has 7 fields but the header has 6: a value containing the delimiter must be quoted',
    );
    expect(r.purchases.map((p) => p.transactionNumber)).toEqual(['T3']);
  });

  it('reports an unclosed quote on the row where it opens', () => {
    const text = lines(
      HEADER,
      `T1,${U1},${AT},${S1},1,1`,
      `T2,${U1},"${AT},${S1},1,1`,
      `T3,${U1},${AT},${S1},1,1`,
    );
    const r = analyseCsvText(text, {}, 'a.csv');
    expect(codes(r)).toEqual([[3, null, 'malformed_csv']]);
    expect(r.errors[0]?.message).toContain('quoted field is never closed');
    expect(r.purchases.map((p) => p.transactionNumber)).toEqual(['T1']);
  });

  it('reports an unclosed quote correctly across streamed chunks', () => {
    const rows = Array.from({ length: 200 }, (_, i) => `T${i},${U1},${AT},${S1},1,1`);
    rows[150] = `T150,${U1},${AT},${S1},1,"1`;
    const text = lines(HEADER, ...rows);
    const analyser = new RecordAnalyser({}, { fileName: 'a.csv' });
    const reader = new CsvRecordReader(analyser, {});
    Papa.parse<string[]>(text, {
      header: false,
      chunkSize: 1000,
      chunk: (c: Papa.ParseResult<string[]>) => reader.chunk(c),
    } as Papa.ParseConfig<string[]>);
    const r = analyser.finish('').report;
    expect(codes(r)).toEqual([[152, null, 'malformed_csv']]);
    expect(r.purchases).toHaveLength(150);
  });

  it('refuses an empty file and a file without data rows', () => {
    expect(codes(analyseCsvText('', {}, 'a.csv'))).toEqual([[0, null, 'empty_file']]);
    expect(codes(analyseCsvText('\n\n', {}, 'a.csv'))).toEqual([[0, null, 'empty_file']]);
    const headerOnly = analyseCsvText(`${HEADER}\n`, {}, 'a.csv');
    expect(headerOnly.errors[0]?.message).toBe('the file has a header but no data rows');
  });

  it('names all missing columns once and imports nothing', () => {
    const r = analyseCsvText(lines('transaction_number,quantity,Colour', 'T1,1,red'), {}, 'a.csv');
    expect(codes(r)).toEqual([[1, null, 'missing_columns']]);
    expect(r.errors[0]?.message).toBe(
      'missing required columns: user_id (or user_email), purchased_at, sku_id (or sku_code), unit_price.',
    );
    expect(r.warnings.map((w) => [w.row, w.column, w.code])).toEqual([
      [1, 'Colour', 'unknown_column'],
    ]);
    expect(r.purchases).toEqual([]);
    expect(r.summary.rows).toBe(1);
  });

  it('maps aliased headers and warns about unknown ones', () => {
    const text = lines(
      'Order ID;Customer ID;Purchase Date;SKU;Qty;Price;Total;Colour',
      `A1;${U1};${AT};${S1};2;1,50;3,00;red`,
    );
    const r = analyseCsvText(text, {}, 'a.csv');
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.value)).toEqual(['Colour']);
    expect(r.purchases[0]).toMatchObject({ transactionNumber: 'A1', totalAmountCents: 300 });
  });

  it('refuses bytes that could not be decoded, on their row', () => {
    const text = lines(
      `${HEADER},notes`,
      `T1,${U1},${AT},${S1},1,1,caf\ufffd`,
      `T2,${U1},${AT},${S1},1,1,ok`,
    );
    const r = analyseCsvText(text, {}, 'a.csv');
    expect(codes(r)).toEqual([[2, 'notes', 'malformed_csv']]);
    expect(r.purchases.map((p) => p.transactionNumber)).toEqual(['T2']);
  });
});

describe('analyseCsvText: dates and zones', () => {
  it('refuses 03/04/2026 by default and reads it with a chosen order', () => {
    const text = lines(HEADER, `T1,${U1},03/04/2026,${S1},1,1`);
    expect(codes(analyseCsvText(text, {}, 'a.csv'))).toEqual([
      [2, 'purchased_at', 'ambiguous_date'],
    ]);
    const dmy = analyseCsvText(text, { dateFormat: 'dmy' }, 'a.csv');
    expect(dmy.purchases[0]?.purchasedAt).toBe('2026-04-03T00:00:00.000Z');
    const mdy = analyseCsvText(text, { dateFormat: 'mdy', timeZone: 'America/New_York' }, 'a.csv');
    expect(mdy.purchases[0]?.purchasedAt).toBe('2026-03-04T05:00:00.000Z');
  });

  it('needs a time zone for local date-times and converts across DST', () => {
    const text = lines(
      HEADER,
      `W,${U1},2026-03-28 12:00,${S1},1,1`,
      `S,${U1},2026-03-29 12:00,${S1},1,1`,
      `X,${U1},2026-02-30,${S1},1,1`,
    );
    expect(codes(analyseCsvText(text, {}, 'a.csv'))).toEqual([
      [2, 'purchased_at', 'missing_time_zone'],
      [3, 'purchased_at', 'missing_time_zone'],
      [4, 'purchased_at', 'invalid_date'],
    ]);
    const r = analyseCsvText(text, { timeZone: 'Europe/Berlin' }, 'a.csv');
    expect(r.purchases.map((p) => p.purchasedAt)).toEqual([
      '2026-03-28T11:00:00.000Z',
      '2026-03-29T10:00:00.000Z',
    ]);
  });
});

describe('analyseCsvText: purchases', () => {
  it('reports inconsistent purchases and total mismatches, sorted by row then column', () => {
    const text = lines(
      `${HEADER},total_amount,store_code`,
      `T1,${U1},${AT},${S1},1,10,30.00,A`,
      `T2,${U1},${AT},${S1},1,10,10.00,A`,
      `T1,${U2},${AT},${S1},1,10,30.00,B`,
      `T3,${U1},${AT},${S1},2,10,25.00,A`,
      `T3,${U1},${AT},${S1},1,x,25.00,A`,
    );
    const r = analyseCsvText(text, {}, 'a.csv');
    expect(codes(r)).toEqual([
      [4, 'user_id', 'inconsistent_purchase'],
      [4, 'store_code', 'inconsistent_purchase'],
      [6, 'unit_price', 'invalid_amount'],
    ]);
    expect(r.purchases.map((p) => p.transactionNumber)).toEqual(['T2']);
    expect(r.summary.errorRows).toBe(2);

    const mismatch = analyseCsvText(
      lines(
        `${HEADER},total_amount`,
        `T1,${U1},${AT},${S1},2,10,25.00`,
        `T1,${U1},${AT},${S1},1,1,25.00`,
      ),
      {},
      'a.csv',
    );
    expect(codes(mismatch)).toEqual([[2, 'total_amount', 'total_mismatch']]);
  });

  it('keeps repeated identical lines as separate items', () => {
    const line = `T1,${U1},${AT},${S1},1,10`;
    const r = analyseCsvText(lines(HEADER, line, line, line), {}, 'a.csv');
    expect(r.purchases[0]?.items.map((i) => i.row)).toEqual([2, 3, 4]);
    expect(r.summary).toMatchObject({ items: 3, totalAmountCents: 3000 });
  });
});

describe('round trip', () => {
  const uuid = fc.uuid({ version: 4 });
  const purchaseArb = fc.record({
    userId: uuid,
    purchasedAt: fc
      .integer({ min: 946_684_800, max: 4_102_444_799 })
      .map((s) => new Date(s * 1000).toISOString()),
    currency: fc.constantFrom(null, 'EUR', 'USD', 'JPY'),
    storeCode: fc.option(fc.stringMatching(/^[A-Za-z0-9-]{1,10}$/), { nil: null }),
    withTotal: fc.boolean(),
    items: fc.array(
      fc.record({
        skuId: uuid,
        quantity: fc.integer({ min: 1, max: 1000 }),
        unitPriceCents: fc.integer({ min: 0, max: 10_000_000 }),
        notes: fc.option(
          fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s),
          {
            nil: null,
          },
        ),
      }),
      { minLength: 1, maxLength: 5 },
    ),
  });

  it('generated purchases -> CSV -> analyse gives the same purchases', () => {
    fc.assert(
      fc.property(
        fc.array(purchaseArb, { minLength: 1, maxLength: 12 }),
        fc.constantFrom<CsvDelimiter>(',', ';', '\t', '|'),
        fc.constantFrom('\n', '\r\n'),
        (generated, delimiter, newline) => {
          const decimalComma = delimiter === ';';
          const money = (c: number): string => {
            const text = formatCents(c);
            return decimalComma ? text.replace('.', ',') : text;
          };
          const records: string[][] = [];
          const expected: Purchase[] = [];
          let row = 2;
          generated.forEach((g, index) => {
            const transactionNumber = `TX-${index}`;
            const sum = g.items.reduce((s, i) => s + i.quantity * i.unitPriceCents, 0);
            const items = g.items.map((item, k) => ({
              row: row + k,
              lineNumber: k + 1,
              skuId: item.skuId,
              quantity: item.quantity,
              unitPriceCents: item.unitPriceCents,
              notes: item.notes,
            }));
            expected.push({
              transactionNumber,
              userId: g.userId,
              purchasedAt: g.purchasedAt,
              currency: g.currency,
              totalAmountCents: sum,
              storeCode: g.storeCode,
              notes: g.items.find((i) => i.notes !== null)?.notes ?? null,
              rows: items.map((i) => i.row),
              items,
            });
            for (const item of g.items) {
              records.push([
                transactionNumber,
                g.userId.toUpperCase(),
                g.purchasedAt,
                item.skuId,
                String(item.quantity),
                money(item.unitPriceCents),
                g.currency ?? '',
                g.withTotal ? money(sum) : '',
                g.storeCode ?? '',
                item.notes ?? '',
              ]);
            }
            row += g.items.length;
          });
          const header = [
            'transaction_number',
            'user_id',
            'purchased_at',
            'sku_id',
            'quantity',
            'unit_price',
            'currency',
            'total_amount',
            'store_code',
            'notes',
          ];
          const text = Papa.unparse([header, ...records], { delimiter, newline });
          const report = analyseCsvText(text, { csv: { delimiter } }, 'gen.csv');
          expect(report.errors).toEqual([]);
          expect(report.purchases).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('revalidateRows', () => {
  const text = lines(
    `${HEADER},total_amount`,
    `T1,${U1},${AT},${S1},2,10,30.00`,
    `T1,${U1},${AT},${S1},1,x,30.00`,
    `T2,${U1},${AT},${S1},1,5,`,
    `T3,${U2},${AT},${S2},1,5,`,
  );
  const base = analyseCsvTextWithRows(text, {}, { fileName: 'a.csv', keepRows: true });
  const rawRows = base.rawRows ?? [];

  it('keeps the raw rows when asked to', () => {
    expect(rawRows.map((r) => r.row)).toEqual([2, 3, 4, 5]);
    expect(rawRows[1]?.cells.unit_price).toBe('x');
    expect(rawRows[1]?.cells.notes).toBe('');
  });

  it('re-checks an edited row and its transaction, and nothing else', () => {
    expect(codes(base.report)).toEqual([[3, 'unit_price', 'invalid_amount']]);
    const fixed = revalidateRows({
      report: base.report,
      rawRows,
      edits: [{ row: 3, cells: { unit_price: '10' } }],
    });
    expect(fixed.report.errors).toEqual([]);
    expect(fixed.report.purchases.map((p) => [p.transactionNumber, p.rows])).toEqual([
      ['T1', [2, 3]],
      ['T2', [4]],
      ['T3', [5]],
    ]);
    expect(fixed.report.purchases[1]).toBe(base.report.purchases[0]); // untouched purchases reused
    expect(fixed.report.summary).toMatchObject({ purchases: 3, items: 4, errorRows: 0 });
    expect(fixed.affectedTransactions).toEqual(['T1']);
    // Same result as analysing the edited file from scratch.
    const fresh = analyseCsvText(text.replace(',x,', ',10,'), {}, 'a.csv');
    expect(fixed.report.purchases).toEqual(fresh.purchases);
  });

  it('follows a row moved to another transaction, and deletions', () => {
    const moved = revalidateRows({
      report: base.report,
      rawRows,
      edits: [{ row: 3, cells: { transaction_number: 'T2', unit_price: '5', total_amount: '' } }],
    });
    // T1 is now a single row whose total (30.00) no longer matches; T2 gained a row.
    expect(codes(moved.report)).toEqual([[2, 'total_amount', 'total_mismatch']]);
    expect(moved.report.purchases.map((p) => [p.transactionNumber, p.rows])).toEqual([
      ['T2', [3, 4]],
      ['T3', [5]],
    ]);
    const deleted = revalidateRows({
      report: base.report,
      rawRows,
      edits: [{ row: 3, delete: true }],
    });
    expect(deleted.rawRows.map((r) => r.row)).toEqual([2, 4, 5]);
    expect(codes(deleted.report)).toEqual([[2, 'total_amount', 'total_mismatch']]);
    expect(deleted.report.summary.rows).toBe(3);
  });

  it('re-applies a stored reference check to the rebuilt purchases', () => {
    const checked = applyReferenceCheck(
      base.report,
      { unknownUserIds: [U2], unknownSkuIds: [], existingTransactions: [] },
      { skipExisting: false },
    );
    expect(codes(checked)).toEqual([
      [3, 'unit_price', 'invalid_amount'],
      [5, 'user_id', 'unknown_user'],
    ]);
    const edited = revalidateRows({
      report: checked,
      rawRows,
      edits: [{ row: 3, cells: { unit_price: '10', user_id: U2 } }],
    });
    expect(codes(edited.report)).toEqual([
      [3, 'user_id', 'inconsistent_purchase'],
      [5, 'user_id', 'unknown_user'],
    ]);
    const fixed = revalidateRows({
      report: checked,
      rawRows,
      edits: [
        { row: 2, cells: { user_id: U2 } },
        { row: 3, cells: { unit_price: '10', user_id: U2 } },
      ],
    });
    expect(codes(fixed.report)).toEqual([
      [2, 'user_id', 'unknown_user'],
      [3, 'user_id', 'unknown_user'],
      [5, 'user_id', 'unknown_user'],
    ]);
    expect(fixed.report.purchases.map((p) => p.transactionNumber)).toEqual(['T2']);
  });

  it('keeps an unreadable row unreadable until it is edited', () => {
    const broken = lines(HEADER, `T1,${U1},${AT},${S1},1,1`, `T1,${U1},${AT},${S1},1,1,extra`);
    const r = analyseCsvTextWithRows(broken, {}, { fileName: 'a.csv', keepRows: true });
    const touched = revalidateRows({
      report: r.report,
      rawRows: r.rawRows ?? [],
      edits: [{ row: 2, cells: { quantity: '2' } }],
    });
    expect(codes(touched.report)).toEqual([[3, null, 'malformed_csv']]);
    expect(touched.report.purchases).toEqual([]);
  });
});
