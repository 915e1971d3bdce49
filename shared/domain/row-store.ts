import {
  byLengthOf,
  packRawRows,
  shiftInto,
  TEXT_COMPARE_MAX,
  textAt,
  type PackedRawRows,
  type TextTable,
} from './packed-report';
import { runSteps, STEP_SIZE, type Steps } from './steps';
import { CANONICAL_COLUMNS, type CanonicalColumn, type RawRow } from './types';

/**
 * An open file's rows, kept packed (issue 18). At 1M rows, 1M RawRow objects each with a
 * 12-property `cells` object were ~230 MB of main's heap, 2M objects that every major
 * collection marked (the commit's late turns were that marking). Here the rows are what the
 * worker sent: row numbers and, per column, a code per row into that column's distinct texts,
 * in typed arrays outside the JS heap. A RawRow is made only when asked for (a grid page, an
 * edit, the rows re-validated); passes over every row read the codes.
 *
 * A store never changes: an edit gives a new store that shares everything unchanged with the
 * old one, so undo keeps up to 100 states cheaply. Edited rows sit in a small overlay (base
 * index -> RawRow) copied on write; once it grows past `foldAt` rows it is folded into new code
 * arrays for the columns it changed (one memcpy of those columns). Deleted rows are a sorted
 * list of base indexes, so a position is found by binary search and nothing of 1M entries is
 * copied for a deletion either.
 */

const COLUMN_COUNT = CANONICAL_COLUMNS.length;
const COLUMN_INDEX: ReadonlyMap<CanonicalColumn, number> = new Map(
  CANONICAL_COLUMNS.map((column, i) => [column, i]),
);
/** Edited rows kept as objects before they are folded into the columns. */
const FOLD_AT = 4096;
/** Codes or ends shifted per step when parts are joined (~0.1-0.5 ms of plain loop). */
const SHIFT_PIECE = 16_384;
/** Rows' codes read per step by a pass over a column. */
const SCAN_PIECE = 65_536;

/** The rows as parsed, plus the columns later folds rewrote. */
interface Columns {
  /** Spreadsheet row numbers per base index, ascending; deleted rows keep their place here. */
  readonly rows: Int32Array;
  /** Per column, a code per base index into `values` of that column. */
  readonly codes: readonly Int32Array[];
  /** Per column, the distinct texts: code `i` is text `i`. */
  readonly values: readonly ColumnTexts[];
  readonly foldAt: number;
}

/**
 * A column's distinct texts: the parsed ones joined into one string (packed-report.ts'
 * TextTable: one allocation per column instead of a string per distinct text, which the young
 * generation's collections copied, issue 18), then the texts folds added. `added` is
 * append-only and shared by every store of a file: a fold appends the texts it needs, and older
 * stores never read past what existed when they were made.
 */
interface ColumnTexts {
  readonly parsed: TextTable;
  readonly added: string[];
}

function textOf(texts: ColumnTexts, code: number): string {
  const parsed = texts.parsed.ends.length;
  return code < parsed ? textAt(texts.parsed, code) : (texts.added[code - parsed] as string);
}

function textCount(texts: ColumnTexts): number {
  return texts.parsed.ends.length + texts.added.length;
}

const NO_DELETIONS = new Int32Array(0);
const NO_EDITS: ReadonlyMap<number, RawRow> = new Map();

/** New text for some of a row's cells, or null when the row is deleted. */
export type RowChange = Partial<Record<CanonicalColumn, string>> | null;

export class RowStore {
  private constructor(
    private readonly base: Columns,
    /** Base indexes of deleted rows, ascending. */
    private readonly deleted: Int32Array,
    /** Edited rows by base index (never a deleted one). */
    private readonly edited: ReadonlyMap<number, RawRow>,
  ) {}

  /** The worker's parts (each its own dictionaries) joined into one store. */
  static fromPacked(parts: readonly PackedRawRows[], options: { foldAt?: number } = {}): RowStore {
    return runSteps(RowStore.fromPackedSteps(parts, options));
  }

  /**
   * fromPacked in steps: main joins 1M rows' codes in slices (electron/core/run-sliced.ts). Each
   * column's code array (4 MB at 1M rows) is made in the step that first fills it, not all 13 in
   * the first step, and the codes and ends are shifted by plain functions in pieces of
   * SHIFT_PIECE: a loop inside a generator runs unoptimized the first time (bench:ui's late
   * turns at an open's end had 20 ms of this generator's offsets and ~50 MB allocated at once).
   */
  static *fromPackedSteps(
    parts: readonly PackedRawRows[],
    options: { foldAt?: number } = {},
  ): Steps<RowStore> {
    let total = 0;
    for (const part of parts) total += part.rows.length;
    const rows = new Int32Array(total);
    const codes: Int32Array[] = [];
    // Per column: its distinct texts in all parts (a part without the column has one: '').
    const sizes = CANONICAL_COLUMNS.map((_, c) => {
      let size = 0;
      for (const part of parts) size += part.columns[c]?.values.ends.length ?? 1;
      return size;
    });
    const ends: Int32Array[] = [];
    const texts = CANONICAL_COLUMNS.map((): string[] => []);
    const distinct = CANONICAL_COLUMNS.map(() => 0);
    const length = CANONICAL_COLUMNS.map(() => 0);
    yield;
    let at = 0;
    for (const part of parts) {
      rows.set(part.rows, at);
      for (let c = 0; c < COLUMN_COUNT; c++) {
        const column = part.columns[c];
        if (codes[c] === undefined) {
          codes[c] = new Int32Array(total);
          ends[c] = new Int32Array(sizes[c] as number);
          yield;
        }
        const into = codes[c] as Int32Array;
        const offset = distinct[c] as number;
        const chars = length[c] as number;
        const joinedEnds = ends[c] as Int32Array;
        if (!column) {
          // A part without this column (never sent by the worker): every cell empty.
          into.fill(offset, at, at + part.rows.length);
          joinedEnds[offset] = chars;
          distinct[c] = offset + 1;
          continue;
        }
        const from = column.codes;
        for (let i = 0; i < from.length; i += SHIFT_PIECE) {
          shiftInto(into, at + i, from.subarray(i, i + SHIFT_PIECE), offset);
          if (i + SHIFT_PIECE < from.length) yield;
        }
        const partEnds = column.values.ends;
        for (let i = 0; i < partEnds.length; i += SHIFT_PIECE) {
          shiftInto(joinedEnds, offset + i, partEnds.subarray(i, i + SHIFT_PIECE), chars);
          if (i + SHIFT_PIECE < partEnds.length) yield;
        }
        (texts[c] as string[]).push(column.values.text);
        distinct[c] = offset + partEnds.length;
        length[c] = chars + column.values.text.length;
        yield;
      }
      at += part.rows.length;
    }
    const values: ColumnTexts[] = [];
    for (let c = 0; c < COLUMN_COUNT; c++) {
      // One flat string per column (tens of MB at 1M rows: a copy of a few ms).
      const text = (texts[c] as string[]).join('');
      texts[c] = [];
      values.push({
        parsed: { text, ends: (ends[c] ?? new Int32Array(0)) as Int32Array<ArrayBuffer> },
        added: [],
      });
      yield;
    }
    return new RowStore(
      {
        rows,
        codes: CANONICAL_COLUMNS.map((_, c) => codes[c] ?? new Int32Array(total)),
        values,
        foldAt: options.foldAt ?? FOLD_AT,
      },
      NO_DELETIONS,
      NO_EDITS,
    );
  }

  /** A store over rows in memory (tests, the in-process door): packed as the worker packs. */
  static fromRows(rows: readonly RawRow[], options: { foldAt?: number } = {}): RowStore {
    return RowStore.fromPacked([packRawRows(rows)], options);
  }

  /** Rows in the store (deleted ones not counted). */
  get length(): number {
    return this.base.rows.length - this.deleted.length;
  }

  /** The base index of a position (0 = first row not deleted). */
  private baseIndex(position: number): number {
    const deleted = this.deleted;
    if (deleted.length === 0) return position;
    // Deleted entries d[k] with d[k] - k <= position lie before the row at `position`.
    let lo = 0;
    let hi = deleted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((deleted[mid] as number) - mid <= position) lo = mid + 1;
      else hi = mid;
    }
    return position + lo;
  }

  private checkPosition(position: number): void {
    if (!Number.isInteger(position) || position < 0 || position >= this.length) {
      throw new RangeError(`row position ${position} is outside 0..${this.length - 1}`);
    }
  }

  /** The spreadsheet row number at a position. */
  rowNumber(position: number): number {
    this.checkPosition(position);
    return this.base.rows[this.baseIndex(position)] as number;
  }

  /** One cell's text at a position, without making the row. */
  cell(position: number, column: CanonicalColumn): string {
    this.checkPosition(position);
    return this.cellAt(this.baseIndex(position), COLUMN_INDEX.get(column) ?? -1);
  }

  private cellAt(index: number, column: number): string {
    const edited = this.edited.get(index);
    if (edited) return edited.cells[CANONICAL_COLUMNS[column] as CanonicalColumn];
    return textOf(
      this.base.values[column] as ColumnTexts,
      (this.base.codes[column] as Int32Array)[index] as number,
    );
  }

  /** The row at a position, made on demand (an edited row is the same object each time). */
  at(position: number): RawRow {
    this.checkPosition(position);
    return this.rowAt(this.baseIndex(position));
  }

  private rowAt(index: number): RawRow {
    const edited = this.edited.get(index);
    if (edited) return edited;
    const cells = {} as Record<CanonicalColumn, string>;
    const { codes, values } = this.base;
    for (let c = 0; c < COLUMN_COUNT; c++) {
      cells[CANONICAL_COLUMNS[c] as CanonicalColumn] = textOf(
        values[c] as ColumnTexts,
        (codes[c] as Int32Array)[index] as number,
      );
    }
    return { row: this.base.rows[index] as number, cells };
  }

  /** The base index of a spreadsheet row, or -1 (never in the file, or deleted). */
  private indexOfRow(row: number): number {
    const rows = this.base.rows;
    let lo = 0;
    let hi = rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const value = rows[mid] as number;
      if (value === row) return isIn(this.deleted, mid) ? -1 : mid;
      if (value < row) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The position of a spreadsheet row, or null when it is not (or no longer) in the file. */
  positionOf(row: number): number | null {
    const index = this.indexOfRow(row);
    return index < 0 ? null : index - lowerBound(this.deleted, index);
  }

  /** The row with this spreadsheet row number, or null. */
  get(row: number): RawRow | null {
    const index = this.indexOfRow(row);
    return index < 0 ? null : this.rowAt(index);
  }

  /** Every row, made one at a time in file order (exports; not for the app's hot paths). */
  *[Symbol.iterator](): Iterator<RawRow> {
    const deleted = this.deleted;
    let next = 0;
    for (let index = 0; index < this.base.rows.length; index++) {
      if (next < deleted.length && deleted[next] === index) {
        next++;
        continue;
      }
      yield this.rowAt(index);
    }
  }

  toArray(): RawRow[] {
    return [...this];
  }

  /** Every row number, in file order. */
  rowNumbers(): number[] {
    return runSteps(this.rowNumbersSteps());
  }

  *rowNumbersSteps(): Steps<number[]> {
    const out = new Array<number>(this.length);
    const rows = this.base.rows;
    let position = 0;
    yield* this.scanSteps((index) => {
      out[position++] = rows[index] as number;
    });
    return out;
  }

  /** Calls `visit` with each live base index in file order, yielding every STEP_SIZE rows. */
  private *scanSteps(visit: (index: number) => void): Steps<void> {
    const deleted = this.deleted;
    const size = this.base.rows.length;
    let next = 0;
    for (let index = 0; index < size; index++) {
      if (index % STEP_SIZE === STEP_SIZE - 1) yield;
      if (next < deleted.length && deleted[next] === index) {
        next++;
        continue;
      }
      visit(index);
    }
  }

  /**
   * Positions (ascending) of the rows whose cell in `column` passes `test`. The test runs once
   * per distinct text of the parsed rows (and once per edited row), not once per row.
   */
  *positionsWhereSteps(column: CanonicalColumn, test: (value: string) => boolean): Steps<number[]> {
    const c = COLUMN_INDEX.get(column) ?? -1;
    const values = this.base.values[c] as ColumnTexts;
    // Per distinct text: 1 passes, 0 fails.
    const verdicts = new Uint8Array(textCount(values));
    for (let code = 0; code < verdicts.length; code++) {
      if (code % STEP_SIZE === STEP_SIZE - 1) yield;
      if (test(textOf(values, code))) verdicts[code] = 1;
    }
    return yield* this.positionsOfVerdictsSteps(c, verdicts, test);
  }

  /**
   * Positions (ascending) of the rows whose cell in `column`, trimmed, is one of `texts`. Up to
   * TEXT_COMPARE_MAX texts are compared where each distinct text lies in the column's joined text
   * (no substring made and hashed per distinct text: an edit's re-validation looked up each of
   * the 285k transaction numbers of a 1M-row file so, issue 18).
   */
  *positionsOfTextsSteps(column: CanonicalColumn, texts: ReadonlySet<string>): Steps<number[]> {
    const c = COLUMN_INDEX.get(column) ?? -1;
    const values = this.base.values[c] as ColumnTexts;
    const test = (value: string): boolean => texts.has(value.trim());
    const verdicts = new Uint8Array(textCount(values));
    if (texts.size > 0) {
      const parsed = values.parsed;
      const count = parsed.ends.length;
      const byLength = texts.size <= TEXT_COMPARE_MAX ? byLengthOf(texts) : null;
      for (let from = 0; from < count; from += SHIFT_PIECE) {
        const to = Math.min(count, from + SHIFT_PIECE);
        if (byLength) markTrimmedIn(parsed, from, to, byLength, verdicts);
        else
          for (let code = from; code < to; code++)
            if (test(textAt(parsed, code))) verdicts[code] = 1;
        yield;
      }
      for (let code = count; code < verdicts.length; code++) {
        if (code % STEP_SIZE === STEP_SIZE - 1) yield;
        if (test(textOf(values, code))) verdicts[code] = 1;
      }
    }
    return yield* this.positionsOfVerdictsSteps(c, verdicts, test);
  }

  /**
   * Positions (ascending) of the rows whose code in column `c` has verdict 1, an edited row by
   * `test` of its own cell. The codes are read by a plain loop in pieces (a generator's loop
   * runs unoptimized at first, and a closure and a map lookup per row cost 1M of each).
   */
  private *positionsOfVerdictsSteps(
    c: number,
    verdicts: Uint8Array,
    test: (value: string) => boolean,
  ): Steps<number[]> {
    const codes = this.base.codes[c] as Int32Array;
    const size = this.base.rows.length;
    const hits: number[] = [];
    for (let from = 0; from < size; from += SCAN_PIECE) {
      collectHits(codes, verdicts, from, Math.min(size, from + SCAN_PIECE), hits);
      yield;
    }
    const edited = this.edited;
    const name = CANONICAL_COLUMNS[c] as CanonicalColumn;
    const editedHits: number[] = [];
    let n = 0;
    for (const [index, row] of edited) {
      if (++n % STEP_SIZE === 0) yield;
      if (test(row.cells[name])) editedHits.push(index);
    }
    editedHits.sort((a, b) => a - b);
    // Base hits that are neither edited nor deleted, and edited hits (never deleted), as positions.
    const deleted = this.deleted;
    const out: number[] = [];
    let d = 0;
    let k = 0;
    let e = 0;
    for (let round = 0; k < hits.length || e < editedHits.length; round++) {
      if (round % STEP_SIZE === STEP_SIZE - 1) yield;
      const hit = hits[k];
      const edit = editedHits[e];
      let index: number;
      if (edit === undefined || (hit !== undefined && hit < edit)) {
        index = hit as number;
        k++;
        if (edited.size > 0 && edited.has(index)) continue;
      } else {
        index = edit;
        e++;
        if (hit === edit) k++;
      }
      while (d < deleted.length && (deleted[d] as number) < index) d++;
      if (d < deleted.length && deleted[d] === index) continue;
      out.push(index - d);
    }
    return out;
  }

  /**
   * `test` of one column's cell, by position; like positionsWhereSteps it runs once per distinct
   * text (search over 1M rows tests each distinct text of a column once, not 1M cells).
   */
  cellTest(
    column: CanonicalColumn,
    test: (value: string) => boolean,
  ): (position: number) => boolean {
    const c = COLUMN_INDEX.get(column) ?? -1;
    const codes = this.base.codes[c] as Int32Array;
    const values = this.base.values[c] as ColumnTexts;
    let verdicts: Uint8Array | null = null;
    return (position) => {
      this.checkPosition(position);
      const index = this.baseIndex(position);
      const row = this.edited.size > 0 ? this.edited.get(index) : undefined;
      if (row) return test(row.cells[column]);
      verdicts ??= new Uint8Array(textCount(values));
      const code = codes[index] as number;
      let verdict = verdicts[code] as number;
      if (verdict === 0) {
        verdict = test(textOf(values, code)) ? 1 : 2;
        verdicts[code] = verdict;
      }
      return verdict === 1;
    };
  }

  positionsWhere(column: CanonicalColumn, test: (value: string) => boolean): number[] {
    return runSteps(this.positionsWhereSteps(column, test));
  }

  /**
   * A new store with these rows changed (the cells given replace the row's, the others stay) or
   * deleted (null), by spreadsheet row number; rows not in this store are ignored. This store is
   * left as it was.
   */
  withChanges(changes: ReadonlyMap<number, RowChange>): RowStore {
    return runSteps(this.withChangesSteps(changes));
  }

  /** withChanges in steps: a replace-all can change every row of a 1M-row file (issue 18). */
  *withChangesSteps(changes: ReadonlyMap<number, RowChange>): Steps<RowStore> {
    const removed: number[] = [];
    const updated: { index: number; cells: Partial<Record<CanonicalColumn, string>> }[] = [];
    let n = 0;
    for (const [row, cells] of changes) {
      if (++n % STEP_SIZE === 0) yield;
      const index = this.indexOfRow(row);
      if (index < 0) continue;
      if (cells === null) removed.push(index);
      else updated.push({ index, cells });
    }
    if (removed.length === 0 && updated.length === 0) return this;
    const deleted = removed.length > 0 ? mergeSorted(this.deleted, removed) : this.deleted;
    // Edited rows deleted now leave the overlay (a row is in `changes` once: deleted or updated).
    const kept = (index: number): boolean => removed.length === 0 || !isIn(deleted, index);
    if (this.edited.size + updated.length <= this.base.foldAt) {
      const edited = new Map<number, RawRow>();
      for (const [index, raw] of this.edited) if (kept(index)) edited.set(index, raw);
      for (const { index, cells } of updated) {
        const before = this.rowAt(index);
        edited.set(index, { row: before.row, cells: merged(before.cells, cells) });
      }
      return new RowStore(this.base, deleted, edited);
    }
    const base = yield* foldSteps(this.base, this.edited, updated, kept);
    return new RowStore(base, deleted, NO_EDITS);
  }
}

/** A row's cells with some replaced (a cell given as undefined is left as it was). */
function merged(
  cells: Readonly<Record<CanonicalColumn, string>>,
  changes: Partial<Record<CanonicalColumn, string>>,
): Record<CanonicalColumn, string> {
  const out = { ...cells };
  for (const column of CANONICAL_COLUMNS) {
    const value = changes[column];
    if (value !== undefined) out[column] = value;
  }
  return out;
}

/**
 * The overlay's rows and then the new changes written into copies of the columns they change;
 * the other columns are shared. Each column's copy is compared with its own current code, so a
 * change back to the parsed text is written too.
 */
function* foldSteps(
  base: Columns,
  edited: ReadonlyMap<number, RawRow>,
  updated: readonly { index: number; cells: Partial<Record<CanonicalColumn, string>> }[],
  kept: (index: number) => boolean,
): Steps<Columns> {
  const codes = base.codes.slice();
  for (let c = 0; c < COLUMN_COUNT; c++) {
    const name = CANONICAL_COLUMNS[c] as CanonicalColumn;
    const values = base.values[c] as ColumnTexts;
    const before = base.codes[c] as Int32Array;
    let copy: Int32Array | null = null;
    const added = new Map<string, number>();
    const write = (index: number, value: string): void => {
      const current = copy ?? before;
      if (textOf(values, current[index] as number) === value) return;
      copy ??= before.slice();
      let code = added.get(value);
      if (code === undefined) {
        code = textCount(values);
        values.added.push(value);
        added.set(value, code);
      }
      copy[index] = code;
    };
    for (const [index, raw] of edited) if (kept(index)) write(index, raw.cells[name]);
    for (let i = 0; i < updated.length; i++) {
      if (i % STEP_SIZE === STEP_SIZE - 1) yield;
      const { index, cells } = updated[i] as (typeof updated)[number];
      const value = cells[name];
      if (value !== undefined) write(index, value);
    }
    if (copy) codes[c] = copy;
    yield;
  }
  return { rows: base.rows, codes, values: base.values, foldAt: base.foldAt };
}

/** The first index of an ascending list whose value is not below `value` (its length if none). */
export function lowerBound(list: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isIn(sorted: Int32Array, value: number): boolean {
  const at = lowerBound(sorted, value);
  return at < sorted.length && sorted[at] === value;
}

/** A sorted list with more (distinct, not yet in it) values: a new array, the old kept. */
function mergeSorted(sorted: Int32Array, list: readonly number[]): Int32Array<ArrayBuffer> {
  // Typed arrays sort numbers natively (1M deletions: a few ms, not a comparator per pair).
  const more = Int32Array.from(list).sort();
  const out = new Int32Array(sorted.length + more.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < sorted.length || j < more.length) {
    const a = sorted[i];
    const b = more[j];
    if (b === undefined || (a !== undefined && a < b)) {
      out[k++] = a as number;
      i++;
    } else {
      out[k++] = b;
      j++;
    }
  }
  return out;
}

/** Base indexes in [from, to) whose code has verdict 1, appended to `hits` (a plain loop). */
function collectHits(
  codes: Int32Array,
  verdicts: Uint8Array,
  from: number,
  to: number,
  hits: number[],
): void {
  for (let i = from; i < to; i++) if (verdicts[codes[i] as number] === 1) hits.push(i);
}

/**
 * Verdict 1 for each text `from` to `to` - 1 of a table that, trimmed as String.prototype.trim
 * trims, is one of `byLength`'s texts: compared in place by length and startsWith.
 */
function markTrimmedIn(
  table: TextTable,
  from: number,
  to: number,
  byLength: ReadonlyMap<number, readonly string[]>,
  verdicts: Uint8Array,
): void {
  const { text, ends } = table;
  for (let code = from; code < to; code++) {
    let start = code === 0 ? 0 : (ends[code - 1] as number);
    let end = ends[code] as number;
    while (start < end && isTrimmed(text.charCodeAt(start))) start++;
    while (end > start && isTrimmed(text.charCodeAt(end - 1))) end--;
    const same = byLength.get(end - start);
    if (same === undefined) continue;
    for (const candidate of same) {
      if (text.startsWith(candidate, start)) {
        verdicts[code] = 1;
        break;
      }
    }
  }
}

/** Whether String.prototype.trim removes this UTF-16 code unit (white space, line terminators). */
export function isTrimmed(unit: number): boolean {
  if (unit <= 0x20) return unit === 0x20 || (unit >= 0x09 && unit <= 0x0d);
  if (unit < 0xa0) return false;
  return (
    unit === 0xa0 ||
    unit === 0x1680 ||
    (unit >= 0x2000 && unit <= 0x200a) ||
    unit === 0x2028 ||
    unit === 0x2029 ||
    unit === 0x202f ||
    unit === 0x205f ||
    unit === 0x3000 ||
    unit === 0xfeff
  );
}
