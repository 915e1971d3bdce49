import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordAnalyser } from '../../../shared/domain/analyse';
import type { ImportReport, ParseOptions } from '../../../shared/domain/types';
import {
  STYLE,
  workbookBuffer,
  type CellSpec,
  type WorkbookSpec,
} from '../../../test/fixtures/write-workbook';
import { disposeParseWorkers, parseCsvFile } from '../parse/parse-file';
import { sniffFile } from './sniff';
import { readFileHead } from './sources';
import { xlsxSource } from './xlsx-source';
import { serialToIso } from '../../../shared/sources/excel-serial';

const U1 = '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01';
const S1 = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';
const HEADER = [
  'transaction_number',
  'user_id',
  'purchased_at',
  'sku_id',
  'quantity',
  'unit_price',
];

/** Days since the 1900 system's day 0 (1899-12-30) or the 1904 system's (1904-01-01). */
function serial(iso: string, date1904 = false): number {
  const epoch = date1904 ? Date.UTC(1904, 0, 1) : Date.UTC(1899, 11, 30);
  return (Date.parse(iso) - epoch) / 86_400_000;
}

const dateCell = (iso: string, date1904 = false): CellSpec => ({
  v: String(serial(iso, date1904)),
  s: iso.length > 10 ? STYLE.dateTime : STYLE.date,
});

function row(over: Partial<Record<(typeof HEADER)[number], CellSpec>> = {}): CellSpec[] {
  const base: Record<string, CellSpec> = {
    transaction_number: 'T1',
    user_id: U1,
    purchased_at: '2026-03-04T10:15:00Z',
    sku_id: S1,
    quantity: 2,
    unit_price: 12.5,
    ...over,
  };
  return HEADER.map((h) => base[h] ?? null);
}

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xlsx-source-'));
});
afterAll(async () => {
  await disposeParseWorkers();
  await rm(dir, { recursive: true, force: true });
});

async function file(spec: WorkbookSpec): Promise<string> {
  const path = join(dir, `w${n++}.xlsx`);
  await writeFile(path, await workbookBuffer(spec));
  return path;
}

/** The workbook source into the analyser, in this thread. */
async function analyse(spec: WorkbookSpec, options: ParseOptions = {}): Promise<ImportReport> {
  const path = await file(spec);
  const analyser = new RecordAnalyser(options, { fileName: 'w.xlsx' });
  await xlsxSource.read(
    { path, totalBytes: (await stat(path)).size, options, sniffed: await sniffFile(path) },
    { sink: analyser, progress: () => {} },
  );
  return analyser.finish('').report;
}

const one = (rows: CellSpec[][], extra: Partial<WorkbookSpec> = {}): WorkbookSpec => ({
  sheets: [{ name: 'Purchases', rows: [HEADER, ...rows] }],
  ...extra,
});
const codes = (r: ImportReport) => r.errors.map((e) => [e.row, e.column, e.code]);

describe('serialToIso', () => {
  it('reads the 1900 system around its phantom 29 February 1900', () => {
    expect(serialToIso(1, false)).toBe('1900-01-01');
    expect(serialToIso(59, false)).toBe('1900-02-28');
    expect(serialToIso(60, false)).toBeNull(); // 1900-02-29 never existed
    expect(serialToIso(61, false)).toBe('1900-03-01');
    expect(serialToIso(0, false)).toBeNull();
    expect(serialToIso(46085, false)).toBe('2026-03-04');
    expect(serialToIso(46085.427083333336, false)).toBe('2026-03-04T10:15:00');
  });

  it('reads the 1904 system, 1,462 days apart', () => {
    expect(serialToIso(0, true)).toBe('1904-01-01');
    expect(serialToIso(46085 - 1462, true)).toBe('2026-03-04');
    expect(serialToIso(-1, true)).toBeNull();
  });
});

describe('workbook source', { timeout: 60_000 }, () => {
  it('reads dates from serials in the 1900 and the 1904 system alike', async () => {
    for (const date1904 of [false, true]) {
      const report = await analyse(
        one(
          [
            row({ purchased_at: dateCell('2026-03-04T10:15:00Z', date1904) }),
            row({ transaction_number: 'T2', purchased_at: dateCell('2026-03-05', date1904) }),
          ],
          { date1904 },
        ),
        { timeZone: 'UTC' },
      );
      expect(codes(report)).toEqual([]);
      expect(report.purchases.map((p) => p.purchasedAt)).toEqual([
        '2026-03-04T10:15:00.000Z',
        '2026-03-05T00:00:00.000Z',
      ]);
      expect(report.settings?.source).toEqual({
        format: 'xlsx',
        sheet: 'Purchases',
        sheets: [{ name: 'Purchases', hidden: false }],
      });
    }
  });

  it('asks for the time zone of a date-time serial, as for a CSV date-time without offset', async () => {
    const report = await analyse(one([row({ purchased_at: dateCell('2026-03-04T10:15:00Z') })]));
    expect(codes(report)).toEqual([[2, 'purchased_at', 'missing_time_zone']]);
  });

  it('refuses the 1900 system’s 29 February 1900 naming the sheet and cell', async () => {
    const report = await analyse(one([row({ purchased_at: { v: '60', s: STYLE.date } })]));
    expect(codes(report)).toEqual([[2, 'purchased_at', 'malformed_csv']]);
    expect(report.errors[0]?.message).toContain('sheet "Purchases", cell C2');
    expect(report.errors[0]?.message).toContain('29 February 1900');
  });

  it('reads money doubles within a rounding hair of cents, and refuses others with the value', async () => {
    const report = await analyse(
      one([
        row({ unit_price: { v: '12.499999999999998' } }),
        row({ transaction_number: 'T2', unit_price: { v: '0.30000000000000004' } }),
        row({ transaction_number: 'T3', unit_price: 12.345 }),
      ]),
    );
    expect(codes(report)).toEqual([[4, 'unit_price', 'too_many_decimals']]);
    expect(report.errors[0]?.value).toBe('12.345');
    expect(report.purchases.map((p) => p.items[0]?.unitPriceCents)).toEqual([1250, 30]);
  });

  it('keeps text ids as text (leading zeros) and whole-number ids as their digits', async () => {
    const report = await analyse(
      one([
        row({ transaction_number: '00123' }),
        row({ transaction_number: { v: '5638480000000' } }),
      ]),
    );
    expect(codes(report)).toEqual([]);
    expect(report.purchases.map((p) => p.transactionNumber)).toEqual(['00123', '5638480000000']);
  });

  it('reads inline strings as shared ones', async () => {
    const report = await analyse({ ...one([row()]), sharedStrings: false });
    expect(codes(report)).toEqual([]);
    expect(report.purchases).toHaveLength(1);
  });

  it('reads formulas by their saved value and refuses one without it, naming it', async () => {
    const report = await analyse(
      one([
        row({
          quantity: { f: '1+1', v: '2' },
          transaction_number: { t: 'str', f: '"T"&1', v: 'T1' },
        }),
        row({ transaction_number: 'T2', unit_price: { f: 'B9*2' } }),
        row({ transaction_number: 'T3', quantity: { t: 'e', f: '1/0', v: '#DIV/0!' } }),
      ]),
    );
    expect(codes(report)).toEqual([
      [3, 'unit_price', 'malformed_csv'],
      [4, 'quantity', 'malformed_csv'],
    ]);
    expect(report.errors[0]?.message).toMatch(
      /sheet "Purchases", cell F3 holds the formula =B9\*2 without a saved value/,
    );
    expect(report.errors[1]?.message).toContain('#DIV/0!');
    expect(report.purchases.map((p) => p.transactionNumber)).toEqual(['T1']);
  });

  it('ignores what cannot be read in a column that is not imported', async () => {
    const report = await analyse({
      sheets: [
        {
          name: 'Purchases',
          rows: [
            [...HEADER, 'Check'],
            [...row(), { f: 'NOW()' }],
          ],
        },
      ],
    });
    expect(codes(report)).toEqual([]);
    expect(report.purchases).toHaveLength(1);
  });

  it('refuses merged cells: nothing is imported', async () => {
    const report = await analyse({
      sheets: [{ name: 'Purchases', rows: [HEADER, row(), row()], merges: ['A2:A3'] }],
    });
    expect(report.errors.map((e) => [e.row, e.code])).toEqual([[0, 'malformed_csv']]);
    expect(report.errors[0]?.message).toMatch(/sheet "Purchases" has merged cells \(A2:A3\)/);
    expect(report.purchases).toEqual([]);
  });

  it('refuses a value in a column without a header, naming the cell', async () => {
    const report = await analyse(one([[...row(), null, 'stray']]));
    expect(codes(report)).toEqual([[2, null, 'malformed_csv']]);
    expect(report.errors[0]?.message).toContain('cell H2 has a value in a column without a header');
  });

  it('numbers rows as Excel does: blank rows above the header and gaps are counted', async () => {
    const report = await analyse({
      sheets: [
        {
          name: 'Purchases',
          rows: [HEADER, row(), row({ transaction_number: 'T2', quantity: 1.5 })],
          rowNumbers: [3, 4, 9],
        },
      ],
    });
    expect(codes(report)).toEqual([[9, 'quantity', 'invalid_integer']]);
  });

  describe('several sheets', () => {
    const two: WorkbookSpec = {
      sheets: [
        { name: 'Notes', rows: [['nothing here']] },
        { name: 'Purchases', rows: [HEADER, row()] },
        { name: 'Old', state: 'hidden', rows: [HEADER, row(), row({ transaction_number: 'T9' })] },
      ],
    };

    it('refuses to guess between visible sheets, naming them', async () => {
      await expect(analyse(two)).rejects.toThrow(
        /it has 2 sheets \("Notes", "Purchases", "Old" \(hidden\)\): choose one \(--sheet NAME/,
      );
    });

    it('reads the sheet chosen, a hidden one too', async () => {
      const chosen = await analyse(two, { xlsx: { sheet: 'Purchases' } });
      expect(chosen.purchases).toHaveLength(1);
      const hidden = await analyse(two, { xlsx: { sheet: 'Old' } });
      expect(hidden.purchases).toHaveLength(2);
      await expect(analyse(two, { xlsx: { sheet: 'Nope' } })).rejects.toThrow(
        /it has no sheet "Nope"; its sheets are "Notes", "Purchases", "Old" \(hidden\)/,
      );
    });

    it('reads the only visible sheet when the others are hidden', async () => {
      const report = await analyse({
        sheets: [
          { name: 'Purchases', rows: [HEADER, row()] },
          { name: 'Lookup', state: 'veryHidden', rows: [['x']] },
        ],
      });
      expect(report.purchases).toHaveLength(1);
      await expect(
        analyse({ sheets: [{ name: 'Only', state: 'hidden', rows: [HEADER, row()] }] }),
      ).rejects.toThrow(/every sheet is hidden/);
    });

    it('shows the first visible sheet’s head and lists every sheet for the picker', async () => {
      const path = await file(two);
      const head = await readFileHead(path);
      expect(head.headers).toEqual(['nothing here']);
      expect(head.source).toEqual({
        format: 'xlsx',
        sheet: 'Notes',
        sheets: [
          { name: 'Notes', hidden: false },
          { name: 'Purchases', hidden: false },
          { name: 'Old', hidden: true },
        ],
      });
      const chosen = await readFileHead(path, { xlsx: { sheet: 'Purchases' } });
      expect(chosen.headers).toEqual(HEADER);
      expect(chosen.sample).toEqual([['T1', U1, '2026-03-04T10:15:00Z', S1, '2', '12.5']]);
    });
  });

  it('refuses a zip that is not a workbook, and a broken one, with a sentence', async () => {
    const notWorkbook = await file({ ...one([row()]), omit: ['xl/workbook.xml', '_rels/.rels'] });
    await expect(readFileHead(notWorkbook)).rejects.toThrow(/it has no workbook part/);
    const broken = join(dir, 'broken.xlsx');
    await writeFile(broken, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(100, 1)]));
    await expect(readFileHead(broken)).rejects.toThrow(
      /as an Excel workbook: it is not a readable zip/,
    );
  });

  it('goes through the parse worker like a CSV, with the file’s SHA-256', async () => {
    const path = await file(one([row(), row({ transaction_number: 'T2' })]));
    const { report, rawRows } = await parseCsvFile(path, { keepRows: true });
    expect(codes(report)).toEqual([]);
    expect(report.purchases).toHaveLength(2);
    expect(report.fileSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rawRows?.map((r) => r.row)).toEqual([2, 3]);
    await expect(
      parseCsvFile(
        await file({
          sheets: [
            { name: 'A', rows: [] },
            { name: 'B', rows: [] },
          ],
        }),
        {},
      ),
    ).rejects.toThrow(/choose one/);
  });
});
