import {
  byLengthOf,
  ITEM_FIELDS,
  PURCHASE_FIELDS,
  packPurchasesSteps,
  purchaseAt,
  stringAt,
  TEXT_COMPARE_MAX,
  type PackedPurchases,
} from './packed-report';
import { STEP_SIZE, type Steps } from './steps';
import type { Purchase } from './types';

/** Past this many purchases held as objects, a merged list is packed again. */
const REPACK_OBJECTS = 4096;

/**
 * A report's purchases as an immutable list that keeps them packed (issue 18): the app's session
 * held 285k Purchase objects with 1M items for a 1M-row file, ~170 MB of main's heap that every
 * young-generation collection of the open copied. The list reads the worker's typed arrays and
 * string table (packed-report.ts) and makes a Purchase only when one is asked for (a commit's
 * chunk, the rows an edit rebuilds, a rejected purchase's issues); the fields the reference
 * check, the summary and re-validation read come without one.
 *
 * A list derived from another (the purchases the reference check keeps, those an edit keeps
 * merged with those it rebuilt) shares its packed base: each entry names a base purchase or one
 * of the few purchases held as objects (`extras`: the ones an edit rebuilt, or every purchase of
 * a list made from an array).
 */
export class PurchaseList {
  static readonly empty = PurchaseList.fromArray([]);

  private constructor(
    private readonly base: PackedBase | null,
    /** One per purchase, in order: >= 0 a purchase of `base`, < 0 `extras[~entry]`. */
    private readonly entries: Int32Array,
    private readonly extras: readonly Purchase[],
  ) {}

  /** The worker's packed purchases, in their order (~1 ms per 100k purchases). */
  static fromPacked(packed: PackedPurchases): PurchaseList {
    const count = packed.totals.length;
    const firstItems = new Int32Array(count);
    const entries = new Int32Array(count);
    let item = 0;
    for (let i = 0; i < count; i++) {
      firstItems[i] = item;
      entries[i] = i;
      item += packed.purchaseInts[i * PURCHASE_FIELDS + 6] as number;
    }
    if (item !== packed.prices.length) {
      throw new RangeError('packed purchases: item count mismatch');
    }
    const purchasedAtMs = new Float64Array(count).fill(Number.NaN);
    const codes = { size: packed.strings.ends.length };
    return new PurchaseList(
      { packed, firstItems, references: new Map(), purchasedAtMs, codes },
      entries,
      [],
    );
  }

  /** Purchases already made as objects (the command line's reports, tests, small lists). */
  static fromArray(purchases: readonly Purchase[]): PurchaseList {
    const entries = new Int32Array(purchases.length);
    for (let i = 0; i < purchases.length; i++) entries[i] = ~i;
    return new PurchaseList(null, entries, purchases);
  }

  get length(): number {
    return this.entries.length;
  }

  /** The purchase at `position`, made from the packed arrays (a new object each call). */
  at(position: number): Purchase {
    const entry = this.entry(position);
    if (entry < 0) return this.extras[~entry] as Purchase;
    const base = this.base as PackedBase;
    return purchaseAt(base.packed, entry, base.firstItems[entry] as number);
  }

  transactionNumber(position: number): string {
    const entry = this.entry(position);
    if (entry < 0) return (this.extras[~entry] as Purchase).transactionNumber;
    return this.baseString(entry, 0);
  }

  /**
   * A test of whether a purchase's transaction number is one of `numbers`. A packed purchase's
   * number is compared where it lies in the string table (by length, then startsWith at its
   * offset) instead of read as a fresh substring and hashed: an edit tested all 285k purchases of
   * a 1M-row file so, twice (issue 18). Past TEXT_COMPARE_MAX numbers (a replace-all) each is read
   * and looked up as before.
   */
  transactionIn(numbers: ReadonlySet<string>): (position: number) => boolean {
    const base = this.base;
    if (numbers.size === 0) return () => false;
    if (!base || numbers.size > TEXT_COMPARE_MAX) {
      return (position) => numbers.has(this.transactionNumber(position));
    }
    const byLength = byLengthOf(numbers);
    const { text, ends } = base.packed.strings;
    const ints = base.packed.purchaseInts;
    return (position) => {
      const entry = this.entry(position);
      if (entry < 0) return numbers.has((this.extras[~entry] as Purchase).transactionNumber);
      const code = ints[entry * PURCHASE_FIELDS] as number;
      const start = code === 0 ? 0 : (ends[code - 1] as number);
      const same = byLength.get((ends[code] as number) - start);
      if (same === undefined) return false;
      for (const number of same) if (text.startsWith(number, start)) return true;
      return false;
    };
  }

  /**
   * A test of whether one of a purchase's rows is in `rows`: a packed purchase's item rows are
   * read straight from the item array and compared with the least and greatest of `rows` before
   * any lookup (an edit asked this of all 1M items of a 1M-row file through row(), ~25 ms).
   */
  rowIn(rows: ReadonlySet<number>): (position: number) => boolean {
    if (rows.size === 0) return () => false;
    let least = Infinity;
    let greatest = -Infinity;
    for (const row of rows) {
      if (row < least) least = row;
      if (row > greatest) greatest = row;
    }
    const base = this.base;
    return (position) => {
      const entry = this.entry(position);
      if (entry < 0) return (this.extras[~entry] as Purchase).rows.some((row) => rows.has(row));
      const { packed, firstItems } = base as PackedBase;
      const itemInts = packed.itemInts;
      const first = firstItems[entry] as number;
      const end = first + (packed.purchaseInts[entry * PURCHASE_FIELDS + 6] as number);
      for (let item = first; item < end; item++) {
        const row = itemInts[item * ITEM_FIELDS] as number;
        if (row >= least && row <= greatest && rows.has(row)) return true;
      }
      return false;
    };
  }

  /**
   * The code of a packed purchase's member reference in its base's string table, or -1 for a
   * purchase held as an object (read userId then). Codes of lists with the same `codeSpace` name
   * the same text, so what is worked out per reference can be kept per code (reference-check.ts).
   */
  userCode(position: number): number {
    const entry = this.entry(position);
    if (entry < 0) return -1;
    return (this.base as PackedBase).packed.purchaseInts[entry * PURCHASE_FIELDS + 1] as number;
  }

  /** The code of the SKU reference of the purchase's `k`th item, or -1 (see userCode). */
  skuCode(position: number, k: number): number {
    const entry = this.entry(position);
    if (entry < 0) return -1;
    const { packed, firstItems } = this.base as PackedBase;
    return packed.itemInts[((firstItems[entry] as number) + k) * ITEM_FIELDS + 1] as number;
  }

  /** What userCode and skuCode index (shared by lists derived from one another), or null. */
  get codeSpace(): CodeSpace | null {
    const base = this.base;
    return base ? base.codes : null;
  }

  userId(position: number): string {
    const entry = this.entry(position);
    if (entry < 0) return (this.extras[~entry] as Purchase).userId;
    const { packed } = this.base as PackedBase;
    return this.reference(packed.purchaseInts[entry * PURCHASE_FIELDS + 1] as number);
  }

  /** purchasedAt as epoch ms: orders purchases by time without making their text. */
  purchasedAtMs(position: number): number {
    const entry = this.entry(position);
    if (entry < 0) return Date.parse((this.extras[~entry] as Purchase).purchasedAt);
    const cache = (this.base as PackedBase).purchasedAtMs;
    let ms = cache[entry] as number;
    if (Number.isNaN(ms)) {
      ms = Date.parse(this.baseString(entry, 2));
      cache[entry] = ms;
    }
    return ms;
  }

  purchasedAt(position: number): string {
    const entry = this.entry(position);
    if (entry < 0) return (this.extras[~entry] as Purchase).purchasedAt;
    return this.baseString(entry, 2);
  }

  totalAmountCents(position: number): number {
    const entry = this.entry(position);
    if (entry < 0) return (this.extras[~entry] as Purchase).totalAmountCents;
    return (this.base as PackedBase).packed.totals[entry] as number;
  }

  itemCount(position: number): number {
    const entry = this.entry(position);
    if (entry < 0) return (this.extras[~entry] as Purchase).items.length;
    return (this.base as PackedBase).packed.purchaseInts[entry * PURCHASE_FIELDS + 6] as number;
  }

  /** The spreadsheet row of the purchase's `k`th item (its `rows[k]`). */
  row(position: number, k: number): number {
    const entry = this.entry(position);
    if (entry < 0) return (this.extras[~entry] as Purchase).rows[k] ?? 0;
    const base = this.base as PackedBase;
    return base.packed.itemInts[((base.firstItems[entry] as number) + k) * ITEM_FIELDS] ?? 0;
  }

  /** The SKU reference of the purchase's `k`th item. */
  skuId(position: number, k: number): string {
    const entry = this.entry(position);
    if (entry < 0) return (this.extras[~entry] as Purchase).items[k]?.skuId ?? '';
    const { packed, firstItems } = this.base as PackedBase;
    const item = (firstItems[entry] as number) + k;
    return this.reference(packed.itemInts[item * ITEM_FIELDS + 1] as number);
  }

  /** Purchases [from, to) as objects. */
  slice(from = 0, to = this.length): Purchase[] {
    const end = Math.min(to, this.length);
    const out: Purchase[] = [];
    for (let i = Math.max(0, from); i < end; i++) out.push(this.at(i));
    return out;
  }

  toArray(): Purchase[] {
    return this.slice();
  }

  *[Symbol.iterator](): Iterator<Purchase> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  /** The purchases at these positions (ascending), sharing this list's packed base. */
  select(positions: ArrayLike<number>): PurchaseList {
    if (positions.length === this.length) return this;
    const entries = new Int32Array(positions.length);
    const extras: Purchase[] = [];
    for (let i = 0; i < positions.length; i++) {
      entries[i] = this.carry(positions[i] as number, extras);
    }
    return new PurchaseList(this.base, entries, extras);
  }

  /** The purchases whose position passes `test`. */
  filter(test: (position: number) => boolean): PurchaseList {
    const positions: number[] = [];
    for (let i = 0; i < this.length; i++) if (test(i)) positions.push(i);
    return this.select(positions);
  }

  /**
   * The purchases at `keep` (ascending positions) merged with `added` by first row, in steps: an
   * edit's kept purchases and those it rebuilt. `added` is taken in order of first row (stable);
   * on equal first rows a kept purchase comes first.
   */
  *mergeSteps(keep: ArrayLike<number>, added: readonly Purchase[]): Steps<PurchaseList> {
    const sorted = [...added].sort((x, y) => (x.rows[0] ?? 0) - (y.rows[0] ?? 0));
    const entries = new Int32Array(keep.length + sorted.length);
    const extras: Purchase[] = [];
    let i = 0;
    let j = 0;
    for (let n = 0; n < entries.length; n++) {
      if (n % STEP_SIZE === STEP_SIZE - 1) yield;
      const kept = i < keep.length ? (keep[i] as number) : -1;
      const next = sorted[j];
      if (next === undefined || (kept >= 0 && this.row(kept, 0) <= (next.rows[0] ?? 0))) {
        entries[n] = this.carry(kept, extras);
        i++;
      } else {
        extras.push(next);
        entries[n] = ~(extras.length - 1);
        j++;
      }
    }
    const merged = new PurchaseList(this.base, entries, extras);
    // Many rebuilt (a replace-all over a whole column): packed again, or each would hold ~600
    // bytes of main's heap for as long as this state and the undo states after it live.
    return extras.length > REPACK_OBJECTS ? yield* merged.packSteps() : merged;
  }

  /** Purchases held as objects (rebuilt by edits, or made from an array), not packed. */
  get objectCount(): number {
    return this.extras.length;
  }

  /** The same purchases in a packed base of their own, in steps. */
  *packSteps(): Steps<PurchaseList> {
    let items = 0;
    for (let i = 0; i < this.length; i++) {
      if (i % STEP_SIZE === STEP_SIZE - 1) yield;
      items += this.itemCount(i);
    }
    const packed = yield* packPurchasesSteps(this.length, items, (i) => this.at(i));
    return PurchaseList.fromPacked(packed);
  }

  /**
   * Whole purchases per chunk, at most maxRows items each, so a chunk can be staged (and retried)
   * on its own without splitting a purchase; a purchase larger than maxRows gets a chunk alone.
   * A chunk's purchases are made when it is asked for (the commit sends one chunk at a time).
   */
  chunks(maxRows: number): PurchaseChunks {
    if (!Number.isInteger(maxRows) || maxRows < 1) {
      throw new RangeError(`maxRows must be a positive integer, got ${maxRows}`);
    }
    const starts: number[] = [];
    let size = 0;
    let rows = 0;
    for (let i = 0; i < this.length; i++) {
      const n = this.itemCount(i);
      if (starts.length === 0 || size + n > maxRows) {
        starts.push(i);
        size = 0;
      }
      size += n;
      rows += n;
    }
    starts.push(this.length);
    return {
      length: starts.length - 1,
      rows,
      at: (index) => this.slice(starts[index] ?? 0, starts[index + 1] ?? 0),
    };
  }

  private entry(position: number): number {
    const entry = this.entries[position];
    if (entry === undefined) throw new RangeError(`no purchase at ${position} of ${this.length}`);
    return entry;
  }

  /** A member's or SKU's reference by its code, read from the string table once per base. */
  private reference(code: number): string {
    const base = this.base as PackedBase;
    let text = base.references.get(code);
    if (text === undefined) {
      text = stringAt(base.packed.strings, code);
      base.references.set(code, text);
    }
    return text;
  }

  private baseString(entry: number, field: number): string {
    const { packed } = this.base as PackedBase;
    return stringAt(packed.strings, packed.purchaseInts[entry * PURCHASE_FIELDS + field] as number);
  }

  /** This list's entry at `position` for a new list whose objects are `extras`. */
  private carry(position: number, extras: Purchase[]): number {
    const entry = this.entry(position);
    if (entry >= 0) return entry;
    extras.push(this.extras[~entry] as Purchase);
    return ~(extras.length - 1);
  }
}

interface PackedBase {
  packed: PackedPurchases;
  /** The first item of each packed purchase. */
  firstItems: Int32Array;
  /**
   * Member and SKU references read so far, by code. The string table is one joined text
   * (packed-report.ts' TextTable) read by substring; these few thousand distinct references are
   * read per purchase and item by every edit's reference check, and a fresh substring each time
   * cost an allocation and a hash per read (the edit's re-validation 0.5 -> 1.1 s at 1M rows).
   */
  references: Map<number, string>;
  /**
   * Each purchase's instant in epoch ms, NaN until first read: the summary orders 285k purchases
   * by time after every edit, and reading each time as a fresh substring to compare cost ~50 ms
   * of main's CPU per derive at 1M rows.
   */
  purchasedAtMs: Float64Array;
  /** The codes' identity for caches by code (PurchaseList.codeSpace). */
  codes: CodeSpace;
}

/** The codes of one packed base's string table: `size` of them, 0 to size - 1. */
export interface CodeSpace {
  readonly size: number;
}

/** A list cut into chunks for staging (PurchaseList.chunks). */
export interface PurchaseChunks {
  readonly length: number;
  /** Items (staged rows) in all chunks. */
  readonly rows: number;
  at(index: number): Purchase[];
}
