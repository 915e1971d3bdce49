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

export const PURCHASE_FIELDS = 7; // transaction, user, purchasedAt, currency, store, notes, itemCount
export const ITEM_FIELDS = 4; // row, sku, quantity, notes
export const NULL_REF = -1;
export const ABSENT_REF = -2; // PurchaseItem.notes is optional: keep "absent" apart from null

export interface PackedPurchases {
  strings: string[];
  purchaseInts: Int32Array<ArrayBuffer>;
  totals: Float64Array<ArrayBuffer>;
  itemInts: Int32Array<ArrayBuffer>;
  prices: Float64Array<ArrayBuffer>;
}

export const packedPurchasesSchema = z
  .object({
    strings: z.array(z.string()),
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
  return { strings: table.strings, purchaseInts, totals, itemInts, prices };
}

export function stringAt(strings: readonly string[], i: number): string {
  const s = strings[i];
  if (s === undefined) throw new RangeError(`packed string ${i} is missing`);
  return s;
}

function optionalAt(strings: readonly string[], i: number): string | null {
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
 * its number), so at 1M rows this sends ~2M strings instead of 10M: main deserializes each part
 * in a fraction of the time, and the rows it keeps share one string per distinct text (~250 MB
 * less on main at 1M rows, issue 18).
 */
export interface PackedColumn {
  values: string[];
  codes: Int32Array<ArrayBuffer>;
}

/** Raw rows by column: one dictionary-encoded column per canonical column. */
export interface PackedRawRows {
  rows: Int32Array<ArrayBuffer>;
  columns: PackedColumn[];
}

const packedColumnSchema = z.object({
  values: z.array(z.string()),
  codes: z.instanceof(Int32Array),
});

/** Every code names one of its column's values (checked in a plain loop: 500k codes a part). */
function codesInRange(column: { values: readonly string[]; codes: Int32Array }): boolean {
  const size = column.values.length;
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
  return { values, codes };
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
    values: packed.columns[c]?.values ?? [],
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

export function unpackIssues(packed: PackedIssues): RowError[] {
  const out: RowError[] = [];
  for (let i = 0; i < packed.rows.length; i++) {
    const column = packed.columns[i] as number;
    const base: RowError = {
      row: packed.rows[i] as number,
      column: column < 0 ? null : stringAt(packed.columnNames, column),
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
  if (raw) list.push(raw.rows.buffer, ...raw.columns.map((c) => c.codes.buffer));
  return list;
}
