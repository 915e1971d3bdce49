import fc from 'fast-check';
import Papa from 'papaparse';
import {
  CANONICAL_COLUMNS,
  OPTIONAL_COLUMNS,
  type CanonicalColumn,
  type CsvDelimiter,
  type ErrorCode,
  type ParseOptions,
} from '../../../shared/domain/types';
import { createRng, CSV_HEADER, generateRecords } from '../../fixtures/generate-purchases';
import { decodeLikeFileDoor } from './csv-fuzz-check';

// Fuzzed CSV files for fuzz.test.ts, as fast-check arbitraries (so a failure shrinks to a small
// file). Most cases start from a valid file made by test/fixtures/generate-purchases.ts with the
// merchant's real ids and are then mutated, so they reach row validation, grouping and the
// reference check rather than stopping at the header. Where a mutation's effect is certain the
// case says what the report must show (clean, these cells flagged, blocked...); the rest are held
// to the general contract in csv-fuzz-check.ts only.

export const FUZZ_CATEGORIES = [
  'valid',
  'cell',
  'structure',
  'quoting',
  'line-endings',
  'delimiter',
  'encoding',
  'random-bytes',
  'random-text',
] as const;
export type FuzzCategory = (typeof FUZZ_CATEGORIES)[number] | 'huge';

export interface CellExpectation {
  row: number;
  column: CanonicalColumn;
  /** The cell's raw text, when the mutation decided it. */
  value?: string;
  code?: ErrorCode;
}

export interface FuzzExpectation {
  /** No errors at all, and exactly this many purchases. */
  cleanPurchases?: number;
  /** Each of these cells must carry an error. */
  cells?: CellExpectation[];
  /** At least one error. */
  refused?: boolean;
  /** An error on row 0 or 1 (the whole file): no purchase at all. */
  blocked?: boolean;
  /** Rows that must be refused as unreadable (malformed_csv without a column). */
  malformedRows?: number[];
  /** Rows of purchases whose user id the merchant does not have (locally valid). */
  unknownUserRows?: number[];
}

export interface FuzzCase {
  category: FuzzCategory;
  /** How the file was made, for failure messages. */
  label: string;
  /** What the in-process analyser reads. */
  text: string;
  /** The bytes on disk, when they are not simply `text` as UTF-8. */
  bytes?: Uint8Array;
  options: ParseOptions;
  expect: FuzzExpectation;
  /** The delimiter the file was written with, when it is one the app supports. */
  fileDelimiter?: CsvDelimiter;
}

export interface FuzzIds {
  userIds: readonly string[];
  skuIds: readonly string[];
}

/** The file as it goes to disk for the worker-path and database samples. */
export function fileBytes(c: FuzzCase): Uint8Array {
  return c.bytes ?? Buffer.from(c.text, 'utf8');
}

/** papaparse's writer, as generate-purchases.ts uses it (quotes only the fields that need it). */
export function toCsv(
  records: readonly (readonly string[])[],
  delimiter: string,
  newline: string,
  bom = false,
): string {
  const body = Papa.unparse(
    records.map((r) => [...r]),
    { delimiter, newline },
  );
  return `${bom ? '\ufeff' : ''}${body}${newline}`;
}

const DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t', '|'];
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kathmandu', 'Pacific/Chatham'];

/** Choices a user can make that keep a valid generated file valid (its dates carry Z). */
const keepValidOptionsArb: fc.Arbitrary<ParseOptions> = fc.record(
  {
    timeZone: fc.constantFrom(...ZONES),
    dateFormat: fc.constantFrom<'iso' | 'dmy' | 'mdy'>('iso', 'dmy', 'mdy'),
    defaultCurrency: fc.constantFrom('EUR', 'usd'),
  },
  { requiredKeys: [] },
);

const HEADER_GUESSES = [...CSV_HEADER, 'qty', 'Price', 'SKU', 'extra', '', 'Amount'];

/** Any options at all, including ones that contradict the file. */
const anyOptionsArb: fc.Arbitrary<ParseOptions> = fc.record(
  {
    csv: fc.record({ delimiter: fc.constantFrom(...DELIMITERS) }),
    decimalComma: fc.boolean(),
    dateFormat: fc.constantFrom<'iso' | 'dmy' | 'mdy'>('iso', 'dmy', 'mdy'),
    timeZone: fc.constantFrom(...ZONES),
    defaultCurrency: fc.constantFrom('EUR', 'usd', 'JPY'),
    columnMapping: fc
      .array(
        fc.tuple(
          fc.constantFrom(...CANONICAL_COLUMNS),
          fc.oneof(fc.constantFrom(...HEADER_GUESSES), fc.string({ maxLength: 8 })),
        ),
        { maxLength: 3 },
      )
      .map((pairs) => Object.fromEntries(pairs) as ParseOptions['columnMapping']),
  },
  { requiredKeys: [] },
);

interface Base {
  /** Every record of the file, header first (blank records included once mutated). */
  records: string[][];
  headerAt: number;
  purchases: number;
  delimiter: CsvDelimiter;
  newline: '\n' | '\r\n';
  bom: boolean;
  options: ParseOptions;
  label: string;
}

function baseArb(ids: FuzzIds, extraOptions = true): fc.Arbitrary<Base> {
  return fc
    .record({
      seed: fc.integer({ min: 1, max: 0x7fffffff }),
      purchases: fc.integer({ min: 1, max: 6 }),
      items: fc.constantFrom<[number, number]>([1, 1], [1, 3], [2, 5]),
      delimiter: fc.constantFrom(...DELIMITERS),
      newline: fc.constantFrom<'\n' | '\r\n'>('\n', '\r\n'),
      bom: fc.boolean(),
      notesRate: fc.constantFrom(0, 0.3, 1),
      withTotals: fc.boolean(),
      currency: fc.constantFrom('EUR', 'USD', 'JPY', null),
      prefix: fc.constantFrom('T', 'INV-', 'R/'),
      tellDelimiter: fc.boolean(),
      extra: extraOptions ? keepValidOptionsArb : fc.constant({}),
    })
    .map((b): Base => {
      const records: string[][] = [[...CSV_HEADER]];
      let purchases = 0;
      for (const g of generateRecords({
        purchases: b.purchases,
        itemsPerPurchase: b.items,
        seed: b.seed,
        delimiter: b.delimiter,
        notesRate: b.notesRate,
        withTotals: b.withTotals,
        currency: b.currency,
        transactionPrefix: `${b.prefix}${b.seed % 997}-`,
        userIds: ids.userIds,
        skuIds: ids.skuIds,
      })) {
        purchases++;
        records.push(...g.records);
      }
      const options: ParseOptions = {
        ...b.extra,
        ...(b.tellDelimiter ? { csv: { delimiter: b.delimiter } } : {}),
      };
      const label = `generated seed=${b.seed} purchases=${b.purchases} delimiter=${JSON.stringify(
        b.delimiter,
      )} newline=${JSON.stringify(b.newline)} bom=${b.bom} totals=${b.withTotals} options=${JSON.stringify(
        options,
      )}`;
      return {
        records,
        headerAt: 0,
        purchases,
        delimiter: b.delimiter,
        newline: b.newline,
        bom: b.bom,
        options,
        label,
      };
    });
}

function baseText(b: Base): string {
  return toCsv(b.records, b.delimiter, b.newline, b.bom);
}

/** Spreadsheet row of the data record at `index` of the file's records. */
const rowOf = (index: number): number => index + 1;

// ---------------------------------------------------------------------------------------------
// valid: generated files as they are, with every delimiter, line ending, BOM and harmless option

export function validCaseArb(ids: FuzzIds): fc.Arbitrary<FuzzCase> {
  return baseArb(ids).map((b) => ({
    category: 'valid',
    fileDelimiter: b.delimiter,
    label: b.label,
    text: baseText(b),
    options: b.options,
    expect: { cleanPurchases: b.purchases },
  }));
}

// ---------------------------------------------------------------------------------------------
// cell: bad values the rules must flag on their row and column, plus arbitrary cell text

/** Values each column's rule refuses under the options cell cases use (delimiter only). */
export const BAD_VALUES: Record<CanonicalColumn, readonly string[]> = {
  transaction_number: ['', '   ', 'x'.repeat(101), '€'.repeat(101)],
  user_id: [
    '',
    'not-a-uuid',
    '123e4567-e89b-12d3-a456-42661417400',
    '{123e4567-e89b-12d3-a456-426614174000}',
    'g23e4567-e89b-12d3-a456-426614174000',
    '123e4567e89b12d3a456426614174000',
  ],
  purchased_at: [
    '',
    '2026-02-30T10:00:00Z',
    '2026-03-04T10:15:00',
    '03/04/2026',
    'yesterday',
    '2026-13-01T00:00:00Z',
    '2026-03-04T25:00:00Z',
    '2026-03-04T10:15:00.1234Z',
    '2026-03-04T10:15:00+19:00',
    '1710000000',
  ],
  sku_id: ['', 'SKU-1', '00000000-0000-0000-0000-00000000000g'],
  quantity: ['', '0', '-1', '2.5', 'abc', '99999999999', '1 000', '2147483648', '½'],
  unit_price: ['', '-1.00', '1.234', 'abc', '€12', '1e3', '12 000', '99999999999', '\u22125'],
  currency: ['XXQ', 'EURO', '12', '€'],
  total_amount: ['abc', '-5', '1.999', '1e2'],
  store_code: ['s'.repeat(101)],
  notes: ['n'.repeat(2001)],
  // Natural keys: refused only in a file that names members or SKUs by them.
  user_email: ['', 'Alice Martin'],
  sku_code: ['', 'c'.repeat(201)],
};

/** Boundary values: the rules may accept or refuse them, but never crash or let bad data by. */
export const EDGE_VALUES: readonly string[] = [
  '2147483647',
  '1.0',
  '+3',
  '0003',
  '9999999999.99',
  '10000000000',
  '0',
  '0.00',
  '.5',
  '5.',
  '١٢٣',
  '12\u00a0000',
  '0001-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:00:00-18:00',
  '2024-02-29',
  '2023-02-29',
  '2026-03-29T02:30:00',
  '2026-10-25T02:30:00',
  '2026-03-04T24:00:00Z',
  '2026-03-04 10:15+0100',
  '2026-03-04T10:15:00.000000Z',
  '12/31/2026 11:59 PM',
  '31.12.2026',
  'x'.repeat(100),
  '𝒳'.repeat(100),
  'eur',
  'XTS',
  '=1+1',
  '-',
  ' 12.50 ',
  '\u00a0',
  '\ufeffT1',
  '"',
];

const anyCellArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(...EDGE_VALUES),
  fc.string({
    unit: fc.constantFrom('"', ',', ';', '\t', '|', '\n', '\r', ' ', 'a', '1', '.', '-', '\u0000'),
    maxLength: 12,
  }),
);

const targetArb = fc.record({ row: fc.nat(), col: fc.nat(), pick: fc.nat() });

export function cellCaseArb(ids: FuzzIds): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      base: baseArb(ids, false),
      bad: fc.array(targetArb, { minLength: 1, maxLength: 3 }),
      any: fc.array(fc.record({ row: fc.nat(), col: fc.nat(), value: anyCellArb }), {
        maxLength: 2,
      }),
    })
    .map(({ base, bad, any }): FuzzCase => {
      const records = base.records.map((r) => [...r]);
      const dataCount = records.length - 1;
      const cells: CellExpectation[] = [];
      const badRows = new Set<number>();
      const done: string[] = [];
      for (const t of bad) {
        const index = 1 + (t.row % dataCount);
        // The file's own columns (user_email and sku_code, the natural keys, it has not).
        const column = CSV_HEADER[t.col % CSV_HEADER.length] ?? 'quantity';
        if (cells.some((c) => c.row === rowOf(index) && c.column === column)) continue;
        const pool = BAD_VALUES[column];
        const value = pool[t.pick % pool.length] ?? '';
        const record = records[index];
        if (!record) continue;
        record[CSV_HEADER.indexOf(column)] = value;
        cells.push({ row: rowOf(index), column, value });
        badRows.add(index);
        done.push(`row ${rowOf(index)} ${column}=${JSON.stringify(value.slice(0, 20))}`);
      }
      for (const a of any) {
        const index = 1 + (a.row % dataCount);
        // An undecodable or otherwise odd cell in the same row could change which errors that
        // row reports; keep arbitrary text to rows without an expectation.
        if (badRows.has(index)) continue;
        const record = records[index];
        if (!record) continue;
        const col = a.col % record.length;
        record[col] = a.value;
        done.push(`row ${rowOf(index)} col ${col}=${JSON.stringify(a.value)}`);
      }
      return {
        category: 'cell',
        fileDelimiter: base.delimiter,
        label: `${base.label}; ${done.join('; ')}`,
        text: toCsv(records, base.delimiter, base.newline, base.bom),
        options: base.delimiter === ',' ? {} : { csv: { delimiter: base.delimiter } },
        expect: { cells, refused: true },
      };
    });
}

// ---------------------------------------------------------------------------------------------
// structure: columns and rows moved, added, removed, renamed

/** Header spellings the column mapping knows (a subset of column-mapping.ts's aliases). */
export const ALIASES: Record<CanonicalColumn, readonly string[]> = {
  transaction_number: ['Transaction Number', 'txn id', 'Order ID', 'RECEIPT'],
  user_id: ['Customer ID', 'member', 'User'],
  purchased_at: ['Purchase Date', 'timestamp', 'date'],
  sku_id: ['SKU', 'product id', 'Item-ID'],
  quantity: ['qty', 'Units'],
  unit_price: ['Price', 'unit price', 'Unit Cost'],
  currency: ['ccy', 'Currency Code'],
  total_amount: ['Total', 'Order Total'],
  store_code: ['Store', 'branch'],
  notes: ['Comments', 'memo'],
  user_email: ['Email', 'Customer Email'],
  sku_code: ['Lineitem sku', 'SKU code'],
};

type KeepOp =
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'alias'; col: number; pick: number }
  | { kind: 'extra'; at: number; name: string; fill: string }
  | { kind: 'dropOptional'; col: number }
  | { kind: 'blank'; at: number; shape: 'empty' | 'delimiters' | 'spaces' }
  | { kind: 'shuffle'; seed: number }
  | { kind: 'upperIds'; row: number }
  | { kind: 'unknownUser'; row: number; uuid: string };

type UnsureOp = { kind: 'duplicateRow'; row: number } | { kind: 'truncate'; keep: number };

type BreakOp =
  | { kind: 'dropRequired'; col: number }
  | { kind: 'duplicateHeader'; from: number; to: number }
  | { kind: 'unknownHeader'; col: number; name: string }
  | { kind: 'removeHeader' }
  | { kind: 'headerOnly' }
  | { kind: 'empty'; text: string }
  | { kind: 'dropCell'; row: number; col: number }
  | { kind: 'addCell'; row: number; col: number; value: string };

const keepOpArb: fc.Arbitrary<KeepOp> = fc.oneof(
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('alias' as const), col: fc.nat(), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('extra' as const),
    at: fc.nat(),
    name: fc.constantFrom('extra', 'Line Total', '', 'Comment 2', 'id', 'amount'),
    fill: fc.constantFrom('', 'x', '1.00', '=SUM(A1)'),
  }),
  fc.record({ kind: fc.constant('dropOptional' as const), col: fc.nat() }),
  fc.record({
    kind: fc.constant('blank' as const),
    at: fc.nat(),
    shape: fc.constantFrom<'empty' | 'delimiters' | 'spaces'>('empty', 'delimiters', 'spaces'),
  }),
  fc.record({ kind: fc.constant('shuffle' as const), seed: fc.nat() }),
  fc.record({ kind: fc.constant('upperIds' as const), row: fc.nat() }),
  fc.record({ kind: fc.constant('unknownUser' as const), row: fc.nat(), uuid: fc.uuid() }),
);

const unsureOpArb: fc.Arbitrary<UnsureOp> = fc.oneof(
  fc.record({ kind: fc.constant('duplicateRow' as const), row: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
);

const breakOpArb: fc.Arbitrary<BreakOp> = fc.oneof(
  fc.record({ kind: fc.constant('dropRequired' as const), col: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateHeader' as const), from: fc.nat(), to: fc.nat() }),
  fc.record({
    kind: fc.constant('unknownHeader' as const),
    col: fc.nat(),
    name: fc.constantFrom('Amount', 'Foo', 'Spalte 3', '', 'transaction_number_2'),
  }),
  fc.constant({ kind: 'removeHeader' as const }),
  fc.constant({ kind: 'headerOnly' as const }),
  fc.record({
    kind: fc.constant('empty' as const),
    text: fc.constantFrom('', '\ufeff', '\n\n', '\r\n', ',,,\n', '  \t \n', '\ufeff\r\n;;;\r\n'),
  }),
  fc.record({ kind: fc.constant('dropCell' as const), row: fc.nat(), col: fc.nat() }),
  fc.record({
    kind: fc.constant('addCell' as const),
    row: fc.nat(),
    col: fc.nat(),
    value: fc.constantFrom('', 'x', '1'),
  }),
);

const REQUIRED_SET: ReadonlySet<string> = new Set(CANONICAL_COLUMNS.slice(0, 6));
const OPTIONAL_SET: ReadonlySet<string> = new Set(OPTIONAL_COLUMNS);

/** The file being mutated: records plus which canonical column each position holds. */
class Sheet {
  records: string[][];
  headerAt: number;
  canon: (CanonicalColumn | null)[];

  constructor(base: Base) {
    this.records = base.records.map((r) => [...r]);
    this.headerAt = base.headerAt;
    this.canon = [...CSV_HEADER];
  }

  get header(): string[] {
    return this.records[this.headerAt] ?? [];
  }

  /** Indexes of the data records that are not blank. */
  dataIndexes(): number[] {
    const out: number[] = [];
    this.records.forEach((r, i) => {
      if (i > this.headerAt && r.some((cell) => cell.trim() !== '')) out.push(i);
    });
    return out;
  }

  /** Applies fn to the header and every full-width row (blank records have other widths). */
  eachWide(fn: (record: string[]) => void): void {
    const width = this.header.length;
    for (const r of this.records) if (r.length === width) fn(r);
  }

  column(c: CanonicalColumn): number {
    return this.canon.indexOf(c);
  }

  transactionRows(index: number): number[] {
    const t = this.column('transaction_number');
    const key = this.records[index]?.[t];
    return this.dataIndexes().filter((i) => this.records[i]?.[t] === key);
  }
}

function applyKeep(s: Sheet, op: KeepOp): string | null {
  const width = s.header.length;
  switch (op.kind) {
    case 'swap': {
      const a = op.a % width;
      const b = op.b % width;
      if (a === b) return null;
      s.eachWide((r) => {
        const t = r[a] ?? '';
        r[a] = r[b] ?? '';
        r[b] = t;
      });
      const t = s.canon[a] ?? null;
      s.canon[a] = s.canon[b] ?? null;
      s.canon[b] = t;
      return `swap columns ${a},${b}`;
    }
    case 'alias': {
      const i = op.col % width;
      const c = s.canon[i];
      if (!c) return null;
      const list = ALIASES[c];
      const name = list[op.pick % list.length] ?? c;
      s.header[i] = name;
      return `header ${c} -> ${JSON.stringify(name)}`;
    }
    case 'extra': {
      const at = op.at % (width + 1);
      s.eachWide((r) => r.splice(at, 0, r === s.header ? op.name : op.fill));
      s.canon.splice(at, 0, null);
      return `extra column ${JSON.stringify(op.name)} at ${at}`;
    }
    case 'dropOptional': {
      const optional = s.canon.flatMap((c, i) => (c && OPTIONAL_SET.has(c) ? [i] : []));
      const i = optional[op.col % Math.max(1, optional.length)];
      if (i === undefined) return null;
      const name = s.canon[i];
      s.eachWide((r) => r.splice(i, 1));
      s.canon.splice(i, 1);
      return `drop column ${name ?? '?'}`;
    }
    case 'blank': {
      const at = op.at % (s.records.length + 1);
      const record =
        op.shape === 'empty' ? [''] : op.shape === 'spaces' ? ['   '] : new Array(3).fill('');
      s.records.splice(at, 0, record);
      if (at <= s.headerAt) s.headerAt++;
      return `blank ${op.shape} line at record ${at}`;
    }
    case 'shuffle': {
      const rows = s.records.splice(s.headerAt + 1);
      const rng = createRng(op.seed + 1);
      for (let i = rows.length - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        const t = rows[i] ?? [];
        rows[i] = rows[j] ?? [];
        rows[j] = t;
      }
      s.records.push(...rows);
      return `shuffle rows (${op.seed})`;
    }
    case 'upperIds': {
      const data = s.dataIndexes();
      const index = data[op.row % Math.max(1, data.length)];
      if (index === undefined) return null;
      const user = s.column('user_id');
      const sku = s.column('sku_id');
      for (const i of s.transactionRows(index)) {
        const r = s.records[i];
        if (!r) continue;
        if (user >= 0) r[user] = (r[user] ?? '').toUpperCase();
        if (sku >= 0) r[sku] = (r[sku] ?? '').toUpperCase();
      }
      return `upper-case ids of the transaction on row ${rowOf(index)}`;
    }
    case 'unknownUser': {
      const data = s.dataIndexes();
      const index = data[op.row % Math.max(1, data.length)];
      const user = s.column('user_id');
      if (index === undefined || user < 0) return null;
      for (const i of s.transactionRows(index)) {
        const r = s.records[i];
        if (r) r[user] = op.uuid;
      }
      return `unknown user ${op.uuid} on the transaction of row ${rowOf(index)}`;
    }
  }
}

function applyUnsure(s: Sheet, op: UnsureOp): string | null {
  const data = s.dataIndexes();
  if (op.kind === 'duplicateRow') {
    const index = data[op.row % Math.max(1, data.length)];
    const r = index === undefined ? undefined : s.records[index];
    if (index === undefined || !r) return null;
    s.records.splice(index + 1, 0, [...r]);
    return `duplicate row ${rowOf(index)}`;
  }
  const keep = data[op.keep % Math.max(1, data.length)];
  if (keep === undefined) return null;
  s.records.splice(keep + 1);
  return `keep records up to ${rowOf(keep)}`;
}

function applyBreak(
  s: Sheet,
  op: BreakOp,
  expect: FuzzExpectation,
): { text?: string; did: string } | null {
  const width = s.header.length;
  switch (op.kind) {
    case 'dropRequired': {
      const required = s.canon.flatMap((c, i) => (c && REQUIRED_SET.has(c) ? [i] : []));
      const i = required[op.col % Math.max(1, required.length)];
      if (i === undefined) return null;
      const name = s.canon[i];
      s.eachWide((r) => r.splice(i, 1));
      s.canon.splice(i, 1);
      expect.blocked = true;
      return { did: `drop required column ${name ?? '?'}` };
    }
    case 'duplicateHeader': {
      const from = op.from % width;
      const to = op.to % width;
      if (from === to || !s.canon[from]) return null;
      const name = s.header[from] ?? '';
      s.header[to] = name;
      expect.blocked = true;
      return { did: `header ${to} repeats ${JSON.stringify(name)}` };
    }
    case 'unknownHeader': {
      const required = s.canon.flatMap((c, i) => (c && REQUIRED_SET.has(c) ? [i] : []));
      const i = required[op.col % Math.max(1, required.length)];
      if (i === undefined) return null;
      s.header[i] = op.name;
      expect.blocked = true;
      return { did: `header ${s.canon[i] ?? '?'} -> ${JSON.stringify(op.name)}` };
    }
    case 'removeHeader': {
      s.records.splice(s.headerAt, 1);
      expect.blocked = true;
      return { did: 'no header row' };
    }
    case 'headerOnly': {
      s.records.splice(s.headerAt + 1);
      expect.blocked = true;
      return { did: 'header only' };
    }
    case 'empty': {
      expect.blocked = true;
      return { text: op.text, did: `file is ${JSON.stringify(op.text)}` };
    }
    case 'dropCell':
    case 'addCell': {
      const data = s.dataIndexes().filter((i) => s.records[i]?.length === width);
      const index = data[op.row % Math.max(1, data.length)];
      const r = index === undefined ? undefined : s.records[index];
      if (index === undefined || !r) return null;
      const col = op.col % width;
      if (op.kind === 'dropCell') r.splice(col, 1);
      else r.splice(col, 0, op.value);
      expect.malformedRows = [rowOf(index)];
      expect.refused = true;
      return { did: `${op.kind === 'dropCell' ? 'drop' : 'add'} a cell on row ${rowOf(index)}` };
    }
  }
}

export function structureCaseArb(ids: FuzzIds): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      base: baseArb(ids),
      keep: fc.array(keepOpArb, { maxLength: 4 }),
      unsure: fc.array(unsureOpArb, { maxLength: 1 }),
      breaking: fc.option(breakOpArb, { freq: 2 }),
    })
    .map(({ base, keep, unsure, breaking }): FuzzCase => {
      const s = new Sheet(base);
      const done: string[] = [];
      const unknownUsers = new Set<string>();
      for (const op of keep) {
        const did = applyKeep(s, op);
        if (did) done.push(did);
        if (did && op.kind === 'unknownUser') unknownUsers.add(op.uuid.toLowerCase());
      }
      let sure = true;
      for (const op of unsure) {
        const did = applyUnsure(s, op);
        if (did) {
          done.push(did);
          sure = false;
        }
      }
      const expect: FuzzExpectation = {};
      let text: string | undefined;
      if (breaking) {
        const result = applyBreak(s, breaking, expect);
        if (result) {
          done.push(result.did);
          text = result.text;
        }
      }
      if (expect.blocked || expect.malformedRows) expect.refused = true;
      else if (sure) {
        expect.cleanPurchases = base.purchases;
        // Row numbers move with shuffles and blank lines: read them off the final records.
        const user = s.column('user_id');
        expect.unknownUserRows = s
          .dataIndexes()
          .filter((i) => unknownUsers.has((s.records[i]?.[user] ?? '').toLowerCase()))
          .map(rowOf);
      }
      return {
        category: 'structure',
        fileDelimiter: base.delimiter,
        label: `${base.label}; ${done.join('; ') || 'unchanged'}`,
        text: text ?? toCsv(s.records, base.delimiter, base.newline, base.bom),
        options: base.options,
        expect,
      };
    });
}

// ---------------------------------------------------------------------------------------------
// quoting: quotes opened, closed, doubled and dropped in the text itself

type TextOp =
  | { kind: 'insert'; pos: number; token: string }
  | { kind: 'delete'; pos: number; length: number }
  | { kind: 'dropQuote'; k: number }
  | { kind: 'openQuote'; k: number }
  | { kind: 'textAfterQuote'; k: number }
  | { kind: 'truncate'; pos: number };

const textOpArb: fc.Arbitrary<TextOp> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    pos: fc.nat(),
    token: fc.constantFrom(
      '"',
      '""',
      '"x"',
      'a"b',
      '\r',
      '\n',
      '\r\n',
      ',',
      ';',
      '\t',
      '|',
      '\u0000',
      '\ufeff',
      ' "',
      '" ',
      '"\n"',
    ),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    pos: fc.nat(),
    length: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({ kind: fc.constant('dropQuote' as const), k: fc.nat() }),
  fc.record({ kind: fc.constant('openQuote' as const), k: fc.nat() }),
  fc.record({ kind: fc.constant('textAfterQuote' as const), k: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), pos: fc.nat() }),
);

function positions(text: string, test: (c: string) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) if (test(text.charAt(i))) out.push(i);
  return out;
}

function applyTextOp(text: string, op: TextOp, delimiter: string): string {
  switch (op.kind) {
    case 'insert': {
      const at = op.pos % (text.length + 1);
      return text.slice(0, at) + op.token + text.slice(at);
    }
    case 'delete': {
      const at = op.pos % (text.length + 1);
      return text.slice(0, at) + text.slice(at + op.length);
    }
    case 'dropQuote': {
      const quotes = positions(text, (c) => c === '"');
      const at = quotes[op.k % Math.max(1, quotes.length)];
      return at === undefined ? text : text.slice(0, at) + text.slice(at + 1);
    }
    case 'openQuote': {
      // A quote at the start of a field that is never closed on purpose.
      const starts = positions(text, (c) => c === delimiter || c === '\n');
      const at = starts[op.k % Math.max(1, starts.length)];
      return at === undefined ? `"${text}` : `${text.slice(0, at + 1)}"${text.slice(at + 1)}`;
    }
    case 'textAfterQuote': {
      const closing = positions(text, (c) => c === '"').filter((i) => {
        const next = text.charAt(i + 1);
        return next === delimiter || next === '\n' || next === '\r';
      });
      const at = closing[op.k % Math.max(1, closing.length)];
      return at === undefined ? `${text}"x"y` : `${text.slice(0, at + 1)}zz${text.slice(at + 1)}`;
    }
    case 'truncate':
      return text.slice(0, op.pos % (text.length + 1));
  }
}

export function quotingCaseArb(ids: FuzzIds): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      base: baseArb(ids),
      notes: fc.constantFrom('"quoted"', 'a, b', 'x\ny', '""', 'say "hi", ok'),
      ops: fc.array(textOpArb, { minLength: 1, maxLength: 4 }),
      options: fc.oneof(fc.constant(null), anyOptionsArb),
    })
    .map(({ base, notes, ops, options }): FuzzCase => {
      // Quoted notes on every second row, so there are quotes to break.
      const records = base.records.map((r, i) => {
        const copy = [...r];
        if (i > 0 && i % 2 === 0) copy[CSV_HEADER.indexOf('notes')] = notes;
        return copy;
      });
      let text = toCsv(records, base.delimiter, base.newline, base.bom);
      for (const op of ops) text = applyTextOp(text, op, base.delimiter);
      return {
        category: 'quoting',
        fileDelimiter: base.delimiter,
        label: `${base.label}; notes ${JSON.stringify(notes)}; ${JSON.stringify(ops)}`,
        text,
        options: options ?? base.options,
        expect: {},
      };
    });
}

// ---------------------------------------------------------------------------------------------
// line endings: CR only, CRLF, LF, mixed, trailing blank lines

export function lineEndingCaseArb(ids: FuzzIds): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      base: baseArb(ids, false),
      mode: fc.oneof(
        fc.record({
          kind: fc.constant('uniform' as const),
          eol: fc.constantFrom('\n', '\r\n', '\r'),
          blankLinesAtEnd: fc.integer({ min: 0, max: 3 }),
          noFinalBreak: fc.boolean(),
        }),
        fc.record({
          kind: fc.constant('mixed' as const),
          eols: fc.array(fc.constantFrom('\n', '\r\n', '\r', '\r\r\n', '\n\r'), {
            minLength: 2,
            maxLength: 6,
          }),
        }),
      ),
    })
    .map(({ base, mode }): FuzzCase => {
      const text = toCsv(base.records, base.delimiter, '\n', base.bom);
      let out: string;
      const expect: FuzzExpectation = {};
      if (mode.kind === 'uniform') {
        // Line breaks inside quoted notes change too; they stay inside their quotes.
        const body = mode.noFinalBreak ? text.slice(0, -1) : text;
        out = body.replace(/\n/g, mode.eol) + mode.eol.repeat(mode.blankLinesAtEnd);
        expect.cleanPurchases = base.purchases;
      } else {
        let i = 0;
        out = text.replace(/\n/g, () => mode.eols[i++ % mode.eols.length] ?? '\n');
      }
      return {
        category: 'line-endings',
        fileDelimiter: base.delimiter,
        label: `${base.label}; ${JSON.stringify(mode)}`,
        text: out,
        options: base.options,
        expect,
      };
    });
}

// ---------------------------------------------------------------------------------------------
// delimiter: every delimiter told right, told wrong, and odd ones the app does not support

const ODD_DELIMITERS = [':', '^', '~', ' ', '¦', '\u0001', '||', ', ', ';;', '#', 'é', '\u00a0'];

export function delimiterCaseArb(ids: FuzzIds): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      base: baseArb(ids, false),
      mode: fc.oneof(
        fc.record({ kind: fc.constant('right' as const) }),
        fc.record({ kind: fc.constant('wrong' as const), pick: fc.nat() }),
        fc.record({ kind: fc.constant('decimalCommaOff' as const) }),
        fc.record({
          kind: fc.constant('odd' as const),
          delimiter: fc.constantFrom(...ODD_DELIMITERS),
          tell: fc.option(fc.constantFrom(...DELIMITERS)),
        }),
      ),
    })
    .map(({ base, mode }): FuzzCase => {
      const d = base.delimiter;
      let text = toCsv(base.records, d, base.newline, base.bom);
      let options: ParseOptions = { csv: { delimiter: d } };
      const expect: FuzzExpectation = {};
      if (mode.kind === 'right') {
        expect.cleanPurchases = base.purchases;
      } else if (mode.kind === 'wrong') {
        const others = DELIMITERS.filter((x) => x !== d);
        options = { csv: { delimiter: others[mode.pick % others.length] ?? ',' } };
        expect.blocked = true;
        expect.refused = true;
      } else if (mode.kind === 'decimalCommaOff') {
        options = { csv: { delimiter: d }, decimalComma: false };
        // generate-purchases writes prices with a decimal comma only in ';' files.
        if (d === ';') expect.refused = true;
        else expect.cleanPurchases = base.purchases;
      } else {
        text = toCsv(base.records, mode.delimiter, base.newline, base.bom);
        options = mode.tell ? { csv: { delimiter: mode.tell } } : {};
      }
      return {
        category: 'delimiter',
        ...(mode.kind === 'odd' ? {} : { fileDelimiter: d }),
        label: `${base.label}; ${JSON.stringify(mode)} options=${JSON.stringify(options)}`,
        text,
        options,
        expect,
      };
    });
}

// ---------------------------------------------------------------------------------------------
// encoding: BOMs, UTF-16 both ways, Latin-1, invalid UTF-8, NUL bytes, cut characters

const UNICODE_NOTES = [
  'café crème',
  'Grüße aus Köln',
  '£5 off, "deal"',
  '日本語のメモ',
  'emoji 🙂🎉',
  'Ωmega\nline',
  'naïve; façade',
  'Ñandú|tab\tin',
];

const ENCODINGS = [
  'utf8',
  'utf8-bom',
  'utf16le-bom',
  'utf16be-bom',
  'utf16le',
  'utf16be',
  'latin1',
  'invalid-utf8',
  'nul-bytes',
  'truncate',
  'utf16le-odd-byte',
  'utf16le-lone-surrogate',
  'double-bom',
  'bom-mid-file',
] as const;
type Encoding = (typeof ENCODINGS)[number];

const INVALID_UTF8: readonly (readonly number[])[] = [
  [0xff],
  [0xc3],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xc0, 0xaf],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x80, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
];

function utf16(text: string, bigEndian: boolean): Buffer {
  const le = Buffer.from(text, 'utf16le');
  if (bigEndian) le.swap16();
  return le;
}

function insertBytes(
  bytes: Uint8Array,
  at: readonly number[],
  insert: readonly (readonly number[])[],
): Uint8Array {
  let out = Buffer.from(bytes);
  at.forEach((pos, i) => {
    const p = pos % (out.length + 1);
    const chunk = Buffer.from(insert[i % insert.length] ?? [0]);
    out = Buffer.concat([out.subarray(0, p), chunk, out.subarray(p)]);
  });
  return out;
}

export function encodingCaseArb(ids: FuzzIds): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      base: baseArb(ids, false),
      encoding: fc.constantFrom<Encoding>(...ENCODINGS),
      noteRows: fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 3 }),
      at: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
      picks: fc.array(fc.constantFrom(...INVALID_UTF8), { minLength: 1, maxLength: 3 }),
    })
    .map(({ base, encoding, noteRows, at, picks }): FuzzCase => {
      const records = base.records.map((r) => [...r]);
      const notesAt = CSV_HEADER.indexOf('notes');
      const noted = new Map<number, string>();
      for (const [row, pick] of noteRows) {
        const index = 1 + (row % (records.length - 1));
        const note = UNICODE_NOTES[pick % UNICODE_NOTES.length] ?? 'é';
        const r = records[index];
        if (r) r[notesAt] = note;
        noted.set(index, note);
      }
      const text = toCsv(records, base.delimiter, base.newline);
      const expect: FuzzExpectation = {};
      let bytes: Buffer;
      switch (encoding) {
        case 'utf8':
          bytes = Buffer.from(text, 'utf8');
          expect.cleanPurchases = base.purchases;
          break;
        case 'utf8-bom':
          bytes = Buffer.from(`\ufeff${text}`, 'utf8');
          expect.cleanPurchases = base.purchases;
          break;
        case 'utf16le-bom':
          bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), utf16(text, false)]);
          expect.cleanPurchases = base.purchases;
          break;
        case 'utf16be-bom':
          bytes = Buffer.concat([Buffer.from([0xfe, 0xff]), utf16(text, true)]);
          expect.cleanPurchases = base.purchases;
          break;
        case 'utf16le':
        case 'utf16be':
          // Read as UTF-8, every other byte is NUL: no id, date or number survives.
          bytes = utf16(text, encoding === 'utf16be');
          expect.refused = true;
          break;
        case 'latin1': {
          bytes = Buffer.from(text.replace(/[^\t\n\r\u0020-\u00ff]/gu, '?'), 'latin1');
          const flagged = [...noted].filter(([, note]) => /[\u0080-\u00ff]/.test(note));
          if (flagged.length > 0) {
            expect.refused = true;
            expect.cells = flagged.map(([index]) => ({
              row: rowOf(index),
              column: 'notes',
              code: 'malformed_csv',
            }));
          } else {
            expect.cleanPurchases = base.purchases;
          }
          break;
        }
        case 'invalid-utf8':
          bytes = Buffer.from(insertBytes(Buffer.from(text, 'utf8'), at, picks));
          break;
        case 'nul-bytes':
          bytes = Buffer.from(insertBytes(Buffer.from(text, 'utf8'), at, [[0]]));
          break;
        case 'truncate': {
          const whole = Buffer.from(text, 'utf8');
          bytes = whole.subarray(0, Math.max(0, whole.length - 1 - ((at[0] ?? 0) % 8)));
          break;
        }
        case 'utf16le-odd-byte':
          bytes = Buffer.concat([
            Buffer.from([0xff, 0xfe]),
            utf16(text, false),
            Buffer.from([0x41]),
          ]);
          break;
        case 'utf16le-lone-surrogate': {
          const index = [...noted.keys()][0] ?? 1;
          const r = records[index];
          if (r) r[notesAt] = `half \ud83d pair`;
          bytes = Buffer.concat([
            Buffer.from([0xff, 0xfe]),
            utf16(toCsv(records, base.delimiter, base.newline), false),
          ]);
          break;
        }
        case 'double-bom':
          bytes = Buffer.from(`\ufeff\ufeff${text}`, 'utf8');
          break;
        case 'bom-mid-file': {
          const whole = Buffer.from(text, 'utf8');
          bytes = Buffer.from(insertBytes(whole, at, [[0xef, 0xbb, 0xbf]]));
          break;
        }
      }
      return {
        category: 'encoding',
        fileDelimiter: base.delimiter,
        label: `${base.label}; ${encoding}; notes ${JSON.stringify([...noted])}`,
        text: decodeLikeFileDoor(bytes),
        bytes,
        options: base.options,
        expect,
      };
    });
}

// ---------------------------------------------------------------------------------------------
// random: bytes, text of every kind of character, and CSV-ish token soup under a valid header

const SOUP_TOKENS = [
  '"',
  '""',
  ',',
  ';',
  '\t',
  '|',
  '\n',
  '\r\n',
  '\r',
  ' ',
  'é',
  '\u0000',
  '\ufeff',
  '\ufffd',
  '-',
  '.',
  ',,,,',
  '2026-03-04T10:15:00Z',
  '2026-03-04',
  '12.50',
  '12,50',
  '3',
  'EUR',
  'T001',
  'T002',
];

export function randomBytesCaseArb(): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      withHeader: fc.boolean(),
      bytes: fc.uint8Array({ maxLength: 4096, size: 'large' }),
      options: fc.oneof(fc.constant<ParseOptions>({}), anyOptionsArb),
    })
    .map(({ withHeader, bytes, options }): FuzzCase => {
      const data = withHeader
        ? Buffer.concat([Buffer.from(`${CSV_HEADER.join(',')}\n`), bytes])
        : Buffer.from(bytes);
      return {
        category: 'random-bytes',
        label: `random bytes (${data.length}, header=${withHeader}) options=${JSON.stringify(options)}`,
        text: decodeLikeFileDoor(data),
        bytes: data,
        options,
        expect: {},
      };
    });
}

export function randomTextCaseArb(ids: FuzzIds): fc.Arbitrary<FuzzCase> {
  const soup = fc
    .record({
      delimiter: fc.constantFrom(...DELIMITERS),
      tokens: fc.array(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...SOUP_TOKENS) },
          {
            weight: 1,
            arbitrary: fc.constantFrom(...ids.userIds.slice(0, 3), ...ids.skuIds.slice(0, 3)),
          },
        ),
        { maxLength: 600, size: 'large' },
      ),
    })
    .map(({ delimiter, tokens }) => `${CSV_HEADER.join(delimiter)}\n${tokens.join('')}`);
  return fc
    .record({
      text: fc.oneof(
        fc.string({ unit: 'binary', maxLength: 1_000, size: 'large' }),
        fc.string({ unit: 'grapheme', maxLength: 500, size: 'large' }),
        fc.string({
          unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
          maxLength: 1_000,
          size: 'large',
        }),
        soup,
      ),
      options: fc.oneof(fc.constant<ParseOptions>({}), anyOptionsArb),
    })
    .map(({ text, options }): FuzzCase => ({
      category: 'random-text',
      label: `random text (${text.length} chars) options=${JSON.stringify(options)}`,
      text,
      options,
      expect: {},
    }));
}

/** One arbitrary per category, for the samples that mix them (worker path, database). */
export function caseArbs(
  ids: FuzzIds,
): Record<(typeof FUZZ_CATEGORIES)[number], fc.Arbitrary<FuzzCase>> {
  return {
    valid: validCaseArb(ids),
    cell: cellCaseArb(ids),
    structure: structureCaseArb(ids),
    quoting: quotingCaseArb(ids),
    'line-endings': lineEndingCaseArb(ids),
    delimiter: delimiterCaseArb(ids),
    encoding: encodingCaseArb(ids),
    'random-bytes': randomBytesCaseArb(),
    'random-text': randomTextCaseArb(ids),
  };
}

// ---------------------------------------------------------------------------------------------
// huge fields: a few files with a 1-5 MB cell or line (each checked with a time limit)

export function hugeCases(ids: FuzzIds, sizesMb: readonly number[]): FuzzCase[] {
  const records: string[][] = [[...CSV_HEADER]];
  for (const g of generateRecords({
    purchases: 20,
    seed: 77,
    userIds: ids.userIds,
    skuIds: ids.skuIds,
  })) {
    records.push(...g.records);
  }
  const notesAt = CSV_HEADER.indexOf('notes');
  const cases: FuzzCase[] = [];
  sizesMb.forEach((mb, i) => {
    const size = Math.round(mb * 1024 * 1024);
    const copy = records.map((r) => [...r]);
    const kind = i % 5;
    let text: string;
    const expect: FuzzExpectation = { refused: true };
    let label: string;
    if (kind === 0) {
      const r = copy[3];
      if (r) r[notesAt] = 'é, "q"\n'.repeat(Math.ceil(size / 8)).slice(0, size);
      text = toCsv(copy, ',', '\n');
      expect.cells = [{ row: 4, column: 'notes', code: 'too_long' }];
      label = `${mb} MB quoted note on row 4`;
    } else if (kind === 1) {
      const r = copy[2];
      if (r) r[0] = 'T'.repeat(size);
      text = toCsv(copy, ',', '\n');
      expect.cells = [{ row: 3, column: 'transaction_number', code: 'too_long' }];
      label = `${mb} MB transaction number on row 3`;
    } else if (kind === 2) {
      // An opening quote never closed: everything after it is one field.
      const body = toCsv(copy, ',', '\n');
      const cut = body.indexOf('\n') + 1;
      text = `${body.slice(0, cut)}"${'x'.repeat(size)}\n${body.slice(cut)}`;
      expect.malformedRows = [2];
      label = `${mb} MB unclosed quote from row 2`;
    } else if (kind === 3) {
      text = `${'transaction_number'.repeat(Math.ceil(size / 18))}\n1,2,3\n`;
      expect.blocked = true;
      label = `${mb} MB header line`;
    } else {
      const r = copy[5];
      if (r) r[4] = '9'.repeat(size);
      text = toCsv(copy, ',', '\r\n');
      expect.cells = [{ row: 6, column: 'quantity', code: 'out_of_range' }];
      label = `${mb} MB of digits as a quantity on row 6`;
    }
    cases.push({ category: 'huge', label, text, options: {}, expect });
  });
  return cases;
}
