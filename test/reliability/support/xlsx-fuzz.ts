import { stat } from 'node:fs/promises';
import fc from 'fast-check';
import { RecordAnalyser } from '../../../shared/domain/analyse';
import type { ImportReport, ParseOptions } from '../../../shared/domain/types';
import { sniffFile } from '../../../electron/core/sources/sniff';
import { xlsxSource } from '../../../electron/core/sources/xlsx-source';
import { STYLE, type CellSpec, type WorkbookSpec } from '../../fixtures/write-workbook';

/** What reading a workbook gave: a report, a refusal (a sentence), or a defect of ours. */
export type ReadOutcome =
  | { kind: 'report'; report: ImportReport }
  | { kind: 'refused'; message: string }
  | { kind: 'crash'; error: unknown }
  | { kind: 'hang' };

const REFUSAL = /^Cannot read ".*" as an Excel workbook: \S/;

/** The workbook source into the analyser, in this thread, with a ceiling on its time. */
export async function readWorkbook(
  path: string,
  options: ParseOptions = {},
  ceilingMs = 30_000,
): Promise<ReadOutcome> {
  const analyser = new RecordAnalyser(options, { fileName: 'fuzz.xlsx', keepRows: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const read = (async (): Promise<ReadOutcome> => {
    try {
      await xlsxSource.read(
        { path, totalBytes: (await stat(path)).size, options, sniffed: await sniffFile(path) },
        { sink: analyser, progress: () => {} },
      );
      return { kind: 'report', report: analyser.finish('').report };
    } catch (error) {
      if (error instanceof Error && REFUSAL.test(error.message)) {
        return { kind: 'refused', message: error.message };
      }
      return { kind: 'crash', error };
    }
  })();
  const hang = new Promise<ReadOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'hang' }), ceilingMs);
  });
  try {
    return await Promise.race([read, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Text as people and tools put it in cells: XML's special characters, controls, astral. */
const cellText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('<', '>', '&', '"', "'", '&amp;', ']]>', '_x000D_', '\r\n', ' lead', 'trail '),
  fc.constantFrom('5.63848E+12', '00123', '=SUM(A1)', '46085', 'TRUE'),
);

const cellArb: fc.Arbitrary<CellSpec> = fc.oneof(
  cellText,
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -1_000_000, max: 3_000_000 }),
  fc.boolean(),
  fc.constant(null),
  fc.record({
    v: fc.double({ min: -10, max: 3_000_000, noNaN: true }).map(String),
    s: fc.constantFrom(STYLE.date, STYLE.dateTime, STYLE.money, 7, 99),
  }),
  fc.record({
    f: fc.constantFrom('1+1', 'A1*2', 'NOW()', '"a"&"b"'),
    v: fc.option(fc.constant('2'), { nil: undefined }),
  }),
  fc.record({ t: fc.constant<'e'>('e'), v: fc.constantFrom('#DIV/0!', '#N/A', '#REF!') }),
  fc.record({
    t: fc.constantFrom<'str' | 'inlineStr' | 'd' | 'b' | 'n'>('str', 'inlineStr', 'd', 'b', 'n'),
    v: fc.option(cellText, { nil: undefined }),
  }),
);

const HEADER = [
  'transaction_number',
  'user_id',
  'purchased_at',
  'sku_id',
  'quantity',
  'unit_price',
];

/** Workbooks of any shape: header or not, typed cells, sheets hidden, merges, gaps in rows. */
export const workbookArb: fc.Arbitrary<WorkbookSpec> = fc
  .record({
    header: fc.boolean(),
    rows: fc.array(fc.array(cellArb, { maxLength: 9 }), { maxLength: 12 }),
    gaps: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 13, maxLength: 13 }),
    states: fc.array(
      fc.constantFrom<'visible' | 'hidden' | 'veryHidden'>('visible', 'hidden', 'veryHidden'),
      { minLength: 1, maxLength: 3 },
    ),
    date1904: fc.boolean(),
    sharedStrings: fc.boolean(),
    merges: fc.option(fc.constantFrom<string[]>(['A1:B1'], ['C2:C5', 'D3:E3']), { nil: undefined }),
  })
  .map((w) => {
    const rows: CellSpec[][] = w.header ? [HEADER, ...w.rows] : w.rows;
    const rowNumbers: number[] = [];
    let n = 0;
    for (let i = 0; i < rows.length; i++) rowNumbers.push((n += w.gaps[i % w.gaps.length] ?? 1));
    return {
      date1904: w.date1904,
      sharedStrings: w.sharedStrings,
      sheets: w.states.map((state, i) => ({
        name: `Sheet ${i + 1}`,
        state,
        rows,
        rowNumbers,
        ...(w.merges && i === 0 ? { merges: w.merges } : {}),
      })),
    };
  });

export type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'flip'; at: number; byte: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant<'truncate'>('truncate'), at: fc.nat() }),
  fc.record({
    kind: fc.constant<'delete'>('delete'),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({
    kind: fc.constant<'insert'>('insert'),
    at: fc.nat(),
    text: fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.constantFrom(
        '<row r="0">',
        '<c r="XFE1"><v>1</v></c>',
        '<row r="2000000"/>',
        '</sheetData>',
        '<',
        '&#0;',
        '&#xD800;',
        '<mergeCell ref="A1:A2"/>',
        '<c t="s"><v>999999</v></c>',
        '<f>',
        ' r="A',
        '<si>',
      ),
    ),
  }),
  fc.record({
    kind: fc.constant<'duplicate'>('duplicate'),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 200 }),
  }),
  fc.record({
    kind: fc.constant<'flip'>('flip'),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
);

export function mutate(bytes: Buffer, m: Mutation): Buffer {
  const at = bytes.length === 0 ? 0 : m.at % bytes.length;
  switch (m.kind) {
    case 'truncate':
      return bytes.subarray(0, at);
    case 'delete':
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
    case 'insert':
      return Buffer.concat([bytes.subarray(0, at), Buffer.from(m.text), bytes.subarray(at)]);
    case 'duplicate':
      return Buffer.concat([bytes.subarray(0, at + m.length), bytes.subarray(at)]);
    case 'flip': {
      const copy = Buffer.from(bytes);
      if (copy.length > 0) copy[at] = m.byte;
      return copy;
    }
  }
}
