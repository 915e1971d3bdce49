import { z } from 'zod';
import { ERROR_CODES } from './report-schema';
import { runSteps, STEP_SIZE, type Steps } from './steps';
import {
  CANONICAL_COLUMNS,
  type CanonicalColumn,
  type Purchase,
  type PurchaseItem,
  type RawRow,
  type RowError,
} from './types';

/**
 * Purchases and raw rows in a columnar form for crossing a thread or process boundary.
 * Structured clone of 30k purchase objects with 100k items measured 350-900 ms here, as much
 * as parsing the file; numbers in typed arrays (transferable) plus one table of distinct strings
 * cost a few ms to post and about 20 ms to turn back into objects.
 */

/**
 * Distinct texts joined into one string, with where each ends (text i is
 * `text.slice(ends[i - 1] ?? 0, ends[i])`). Sent and kept so instead of a string[] (issue 18):
 * a 50k-row part's dictionaries were ~100k small strings, each deserialized on main into the
 * young generation and kept, so the next scavenges copied and promoted all of them (60-97 ms
 * late turns at the end of a 1M-row open). One string per column per part is one allocation
 * (large ones go straight to large-object space: nothing to copy); a text is read as a substring
 * when asked for, short-lived and cheap.
 */
export interface TextTable {
  text: string;
  ends: Int32Array<ArrayBuffer>;
}

export const textTableSchema = z
  .object({ text: z.string(), ends: z.instanceof(Int32Array) })
  .refine((t) => endsAscendWithin(t.ends, t.text.length), {
    error: "a text table's ends must ascend within its text",
  });

/** Offsets ascend from 0 and the last is the text's length (a plain loop: 50k ends a part). */
function endsAscendWithin(ends: Int32Array, length: number): boolean {
  let previous = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i] as number;
    if (end < previous) return false;
    previous = end;
  }
  return previous === length;
}

export function textTable(values: readonly string[]): TextTable {
  const ends = new Int32Array(values.length);
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    at += (values[i] as string).length;
    ends[i] = at;
  }
  return { text: values.join(''), ends };
}

/** Text `i` of a table (the caller keeps i within 0..ends.length - 1). */
export function textAt(table: TextTable, i: number): string {
  const end = table.ends[i];
  if (end === undefined) throw new RangeError(`packed text ${i} is missing`);
  return table.text.slice(i === 0 ? 0 : (table.ends[i - 1] as number), end);
}

/** Texts `from` to `to` - 1 of a table, as a table of their own (the worker sends it in parts). */
export function sliceTextTable(table: TextTable, from: number, to: number): TextTable {
  const start = from === 0 ? 0 : (table.ends[from - 1] as number);
  const ends = table.ends.slice(from, to);
  for (let i = 0; i < ends.length; i++) ends[i] = (ends[i] as number) - start;
  const end = to <= from ? start : (table.ends[to - 1] as number);
  return { text: table.text.slice(start, end), ends };
}

/**
 * Tables joined into one, in steps (the purchases' ~600k strings from 20 parts at 1M rows). The
 * offsets are shifted by a plain function per part (a loop inside a generator runs unoptimized
 * the first time: ~5x slower), and the texts are joined in a step of their own: the join copies
 * every text once (~20 MB at 1M rows, 15-40 ms), which is not to share a step with a part's
 * offsets (bench:ui's late turn of 84 ms had 41 ms of this generator, issue 18).
 */
export function* joinTextTablesSteps(tables: readonly TextTable[]): Steps<TextTable> {
  let size = 0;
  for (const t of tables) size += t.ends.length;
  const ends = new Int32Array(size);
  let at = 0;
  let chars = 0;
  for (const t of tables) {
    for (let from = 0; from < t.ends.length; from += STEP_SIZE * 8) {
      shiftInto(ends, at + from, t.ends.subarray(from, from + STEP_SIZE * 8), chars);
      yield;
    }
    at += t.ends.length;
    chars += t.text.length;
  }
  const texts = new Array<string>(tables.length);
  for (let i = 0; i < tables.length; i++) texts[i] = (tables[i] as TextTable).text;
  yield;
  return { text: texts.join(''), ends };
}

/** `into[at + i] = from[i] + offset` for each i (a plain loop: optimized, unlike a generator's). */
export function shiftInto(into: Int32Array, at: number, from: Int32Array, offset: number): void {
  if (offset === 0) {
    into.set(from, at);
    return;
  }
  for (let i = 0; i < from.length; i++) into[at + i] = (from[i] as number) + offset;
}

/** Up to this many texts are compared in place; more are read and looked up in the set. */
export const TEXT_COMPARE_MAX = 64;

/** Texts by their length (a text can only equal one of its own length). */
export function byLengthOf(texts: Iterable<string>): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const text of texts) {
    const same = out.get(text.length);
    if (same) same.push(text);
    else out.set(text.length, [text]);
  }
  return out;
}

/** Every text of a table as a string[] (tests, small tables). */
export function textsOf(table: TextTable): string[] {
  const out = new Array<string>(table.ends.length);
  for (let i = 0; i < table.ends.length; i++) out[i] = textAt(table, i);
  return out;
}

export const PURCHASE_FIELDS = 7; // transaction, user, purchasedAt, currency, store, notes, itemCount
export const ITEM_FIELDS = 4; // row, sku, quantity, notes
export const NULL_REF = -1;
export const ABSENT_REF = -2; // PurchaseItem.notes is optional: keep "absent" apart from null

export interface PackedPurchases {
  /** The distinct strings the int fields refer to, joined (TextTable, issue 18). */
  strings: TextTable;
  purchaseInts: Int32Array<ArrayBuffer>;
  totals: Float64Array<ArrayBuffer>;
  itemInts: Int32Array<ArrayBuffer>;
  prices: Float64Array<ArrayBuffer>;
}

export const packedPurchasesSchema = z
  .object({
    strings: textTableSchema,
    purchaseInts: z.instanceof(Int32Array),
    totals: z.instanceof(Float64Array),
    itemInts: z.instanceof(Int32Array),
    prices: z.instanceof(Float64Array),
  })
  .refine(
    (p) =>
      p.purchaseInts.length === p.totals.length * PURCHASE_FIELDS &&
      p.itemInts.length === p.prices.length * ITEM_FIELDS,
    { error: 'packed purchase arrays have inconsistent lengths' },
  );

export class StringTable {
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();
  /** Repeating values (ids, codes) are stored once. */
  ref(value: string | null | undefined): number {
    if (value === undefined) return ABSENT_REF;
    if (value === null) return NULL_REF;
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(value);
      this.index.set(value, i);
    }
    return i;
  }
  /** Values that are nearly always distinct (transaction numbers) skip the lookup. */
  add(value: string): number {
    this.strings.push(value);
    return this.strings.length - 1;
  }
  /** The strings joined, as they are sent and kept (one string instead of one per entry). */
  table(): TextTable {
    return textTable(this.strings);
  }
}

export function packPurchases(purchases: readonly Purchase[]): PackedPurchases {
  let itemCount = 0;
  for (const p of purchases) itemCount += p.items.length;
  return runSteps(packPurchasesSteps(purchases.length, itemCount, (i) => purchases[i] as Purchase));
}

/**
 * packPurchases in steps, over `count` purchases of `itemCount` items in all, each asked for by
 * position (a packed list's purchases are made one at a time and dropped, purchase-list.ts).
 */
export function* packPurchasesSteps(
  count: number,
  itemCount: number,
  purchaseAt: (position: number) => Purchase,
): Steps<PackedPurchases> {
  const table = new StringTable();
  const purchaseInts = new Int32Array(count * PURCHASE_FIELDS);
  const totals = new Float64Array(count);
  const itemInts = new Int32Array(itemCount * ITEM_FIELDS);
  const prices = new Float64Array(itemCount);
  let item = 0;
  let lastAt = '';
  let lastAtRef = NULL_REF;
  for (let i = 0; i < count; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    const p = purchaseAt(i);
    const o = i * PURCHASE_FIELDS;
    purchaseInts[o] = table.add(p.transactionNumber);
    purchaseInts[o + 1] = table.ref(p.userId);
    if (p.purchasedAt !== lastAt) {
      lastAt = p.purchasedAt;
      lastAtRef = table.add(lastAt);
    }
    purchaseInts[o + 2] = lastAtRef;
    purchaseInts[o + 3] = table.ref(p.currency);
    purchaseInts[o + 4] = table.ref(p.storeCode);
    purchaseInts[o + 5] = p.notes === null ? NULL_REF : table.add(p.notes);
    purchaseInts[o + 6] = p.items.length;
    totals[i] = p.totalAmountCents;
    for (const it of p.items) {
      const q = item * ITEM_FIELDS;
      itemInts[q] = it.row;
      itemInts[q + 1] = table.ref(it.skuId);
      itemInts[q + 2] = it.quantity;
      itemInts[q + 3] =
        it.notes === undefined ? ABSENT_REF : it.notes === null ? NULL_REF : table.add(it.notes);
      prices[item] = it.unitPriceCents;
      item++;
    }
  }
  return { strings: table.table(), purchaseInts, totals, itemInts, prices };
}

export function stringAt(strings: TextTable, i: number): string {
  return textAt(strings, i);
}

function optionalAt(strings: TextTable, i: number): string | null {
  return i < 0 ? null : stringAt(strings, i);
}

export function unpackPurchases(packed: PackedPurchases): Purchase[] {
  return runSteps(unpackPurchasesSteps(packed));
}

/**
 * unpackPurchases in steps: 300k purchases of 1M items are ~0.3-0.5 s of main's time in one go
 * (issue 18); run in slices (electron/core/run-sliced.ts), main serves its window in between.
 */
export function* unpackPurchasesSteps(packed: PackedPurchases): Steps<Purchase[]> {
  const purchases: Purchase[] = [];
  let item = 0;
  for (let i = 0; i < packed.totals.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    const purchase = purchaseAt(packed, i, item);
    item += purchase.items.length;
    purchases.push(purchase);
  }
  if (item !== packed.prices.length) throw new RangeError('packed purchases: item count mismatch');
  return purchases;
}

/** The purchase at `index` of a packed list, whose first item is item `firstItem`. */
export function purchaseAt(packed: PackedPurchases, index: number, firstItem: number): Purchase {
  const { strings, purchaseInts, totals, itemInts, prices } = packed;
  const o = index * PURCHASE_FIELDS;
  const count = purchaseInts[o + 6] as number;
  // Sized up front: arrays grown by push keep room for 17 entries, ~110 bytes each of the
  // two per purchase (~60 MB of main's heap at 285k purchases, issue 18).
  const items = new Array<PurchaseItem>(count);
  const rows = new Array<number>(count);
  for (let k = 0, item = firstItem; k < count; k++, item++) {
    const q = item * ITEM_FIELDS;
    const notesRef = itemInts[q + 3] as number;
    const row = itemInts[q] as number;
    const skuId = stringAt(strings, itemInts[q + 1] as number);
    const quantity = itemInts[q + 2] as number;
    const unitPriceCents = prices[item] as number;
    items[k] =
      notesRef === ABSENT_REF
        ? { row, lineNumber: k + 1, skuId, quantity, unitPriceCents }
        : {
            row,
            lineNumber: k + 1,
            skuId,
            quantity,
            unitPriceCents,
            notes: optionalAt(strings, notesRef),
          };
    rows[k] = row;
  }
  return {
    transactionNumber: stringAt(strings, purchaseInts[o] as number),
    userId: stringAt(strings, purchaseInts[o + 1] as number),
    purchasedAt: stringAt(strings, purchaseInts[o + 2] as number),
    currency: optionalAt(strings, purchaseInts[o + 3] as number),
    totalAmountCents: totals[index] as number,
    storeCode: optionalAt(strings, purchaseInts[o + 4] as number),
    notes: optionalAt(strings, purchaseInts[o + 5] as number),
    rows,
    items,
  };
}

/**
 * One column of raw rows, dictionary-encoded: each distinct text once, and a code per row.
 * Most columns repeat (ids, dates, amounts, currencies, empty notes; a transaction's rows share
 * its number), so at 1M rows this sends ~2M texts instead of 10M: main deserializes each part
 * in a fraction of the time, and the rows it keeps share one copy of each distinct text (~250 MB
 * less on main at 1M rows, issue 18). The distinct texts travel joined (TextTable).
 */
export interface PackedColumn {
  values: TextTable;
  codes: Int32Array<ArrayBuffer>;
}

/** Raw rows by column: one dictionary-encoded column per canonical column. */
export interface PackedRawRows {
  rows: Int32Array<ArrayBuffer>;
  columns: PackedColumn[];
}

const packedColumnSchema = z.object({
  values: textTableSchema,
  codes: z.instanceof(Int32Array),
});

/** Every code names one of its column's values (checked in a plain loop: 500k codes a part). */
function codesInRange(column: { values: TextTable; codes: Int32Array }): boolean {
  const size = column.values.ends.length;
  const codes = column.codes;
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] as number;
    if (code < 0 || code >= size) return false;
  }
  return true;
}

export const packedRawRowsSchema = z
  .object({ rows: z.instanceof(Int32Array), columns: z.array(packedColumnSchema) })
  .refine(
    (p) =>
      p.columns.length === CANONICAL_COLUMNS.length &&
      p.columns.every((c) => c.codes.length === p.rows.length && codesInRange(c)),
    { error: 'packed raw rows have inconsistent lengths' },
  );

function packColumn(rawRows: readonly RawRow[], column: CanonicalColumn): PackedColumn {
  const index = new Map<string, number>();
  const values: string[] = [];
  const codes = new Int32Array(rawRows.length);
  // A row often repeats the row before (a transaction's number, user, date): no lookup then.
  let previous: string | undefined;
  let previousCode = -1;
  for (let i = 0; i < rawRows.length; i++) {
    const value = (rawRows[i] as RawRow).cells[column];
    if (value !== previous) {
      let code = index.get(value);
      if (code === undefined) {
        code = values.length;
        values.push(value);
        index.set(value, code);
      }
      previous = value;
      previousCode = code;
    }
    codes[i] = previousCode;
  }
  return { values: textTable(values), codes };
}

export function packRawRows(rawRows: readonly RawRow[]): PackedRawRows {
  const rows = new Int32Array(rawRows.length);
  for (let i = 0; i < rawRows.length; i++) rows[i] = (rawRows[i] as RawRow).row;
  return { rows, columns: CANONICAL_COLUMNS.map((column) => packColumn(rawRows, column)) };
}

export function unpackRawRows(packed: PackedRawRows): RawRow[] {
  return runSteps(unpackRawRowsSteps(packed));
}

/** unpackRawRows in steps (a 50k-row part is ~20-60 ms of main's time in one go). */
export function* unpackRawRowsSteps(packed: PackedRawRows): Steps<RawRow[]> {
  const out: RawRow[] = new Array<RawRow>(packed.rows.length);
  const columns = CANONICAL_COLUMNS.map((name, c) => ({
    name,
    // The rows as objects keep their texts: read each distinct text once, not once per row.
    values: packed.columns[c] ? textsOf(packed.columns[c].values) : [],
    codes: packed.columns[c]?.codes ?? new Int32Array(0),
  }));
  for (let i = 0; i < packed.rows.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    const cells = {} as Record<CanonicalColumn, string>;
    for (const column of columns) cells[column.name] = column.values[column.codes[i] ?? -1] ?? '';
    out[i] = { row: packed.rows[i] ?? 0, cells };
  }
  return out;
}

/** Errors or warnings by column: a file whose rows are all bad can have a million of them. */
export interface PackedIssues {
  rows: Int32Array<ArrayBuffer>;
  codes: Uint8Array<ArrayBuffer>; // index into ERROR_CODES
  columns: Int32Array<ArrayBuffer>; // index into columnNames, -1 = null
  severities: Uint8Array<ArrayBuffer>; // 0 absent, 1 error, 2 warning
  columnNames: string[];
  messages: string[];
  values: (string | null)[];
}

export const packedIssuesSchema = z
  .object({
    rows: z.instanceof(Int32Array),
    codes: z.instanceof(Uint8Array),
    columns: z.instanceof(Int32Array),
    severities: z.instanceof(Uint8Array),
    columnNames: z.array(z.string()),
    messages: z.array(z.string()),
    values: z.array(z.string().nullable()),
  })
  .refine(
    (p) =>
      [
        p.codes.length,
        p.columns.length,
        p.severities.length,
        p.messages.length,
        p.values.length,
      ].every((n) => n === p.rows.length) && p.codes.every((c) => c < ERROR_CODES.length),
    { error: 'packed issues have inconsistent arrays' },
  );

const CODE_INDEX = new Map<string, number>(ERROR_CODES.map((c, i) => [c, i]));

export function packIssues(list: readonly RowError[]): PackedIssues {
  const n = list.length;
  const packed: PackedIssues = {
    rows: new Int32Array(n),
    codes: new Uint8Array(n),
    columns: new Int32Array(n),
    severities: new Uint8Array(n),
    columnNames: [],
    messages: new Array<string>(n),
    values: new Array<string | null>(n),
  };
  const names = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const e = list[i] as RowError;
    packed.rows[i] = e.row;
    const code = CODE_INDEX.get(e.code);
    if (code === undefined) throw new RangeError(`unknown error code ${e.code}`);
    packed.codes[i] = code;
    let column = -1;
    if (e.column !== null) {
      column = names.get(e.column) ?? -1;
      if (column < 0) {
        column = packed.columnNames.length;
        packed.columnNames.push(e.column);
        names.set(e.column, column);
      }
    }
    packed.columns[i] = column;
    packed.severities[i] = e.severity === undefined ? 0 : e.severity === 'error' ? 1 : 2;
    packed.messages[i] = e.message;
    packed.values[i] = e.value;
  }
  return packed;
}

function nameAt(names: readonly string[], i: number): string {
  const name = names[i];
  if (name === undefined) throw new RangeError(`packed column name ${i} is missing`);
  return name;
}

export function unpackIssues(packed: PackedIssues): RowError[] {
  const out: RowError[] = [];
  for (let i = 0; i < packed.rows.length; i++) {
    const column = packed.columns[i] as number;
    const base: RowError = {
      row: packed.rows[i] as number,
      column: column < 0 ? null : nameAt(packed.columnNames, column),
      code: ERROR_CODES[packed.codes[i] as number] ?? 'malformed_csv',
      message: packed.messages[i] ?? '',
      value: packed.values[i] ?? null,
    };
    const severity = packed.severities[i];
    out.push(severity === 0 ? base : { ...base, severity: severity === 1 ? 'error' : 'warning' });
  }
  return out;
}

/** The buffers to hand to postMessage's transfer list. */
export function transferables(
  packed: PackedPurchases,
  issues: readonly PackedIssues[],
  raw?: PackedRawRows,
): ArrayBuffer[] {
  const list: ArrayBuffer[] = [
    packed.purchaseInts,
    packed.totals,
    packed.itemInts,
    packed.prices,
  ].map((a) => a.buffer);
  for (const p of issues) {
    list.push(p.rows.buffer, p.codes.buffer, p.columns.buffer, p.severities.buffer);
  }
  if (raw) {
    list.push(raw.rows.buffer);
    for (const c of raw.columns) list.push(c.codes.buffer, c.values.ends.buffer);
  }
  return list;
}
