import { formatCents, MAX_CENTS } from './money';
import { userKeyOf, userRefCell } from './natural-keys';
import {
  ITEM_FIELDS,
  NULL_REF,
  PURCHASE_FIELDS,
  StringTable,
  type PackedPurchases,
} from './packed-report';
import { runSteps, STEP_SIZE, type Steps } from './steps';
import type { ChunkColumns, ChunkStream } from './stream-chunks';
import type { Purchase, PurchaseItem, RowError, ValidRow } from './types';

/**
 * Groups line items into purchases by transaction_number, wherever the rows sit in the file, and
 * applies the cross-row rules. Rows arrive one at a time (the streaming worker feeds them as it
 * parses). Items are kept in columns (typed arrays, linked per purchase) rather than as objects:
 * a million item objects plus their arrays were a third of the garbage collector's work at 1M
 * rows, and the worker can pack purchases for transfer straight from the columns.
 */

/** How much a given total may differ from the items' sum, in cents (the 0.01 rule). */
export const TOTAL_TOLERANCE_CENTS = 1;

type PurchaseField =
  'user_id' | 'user_email' | 'purchased_at' | 'currency' | 'total_amount' | 'store_code';

const money = (cents: number | null): string | null => (cents === null ? null : formatCents(cents));
const shown = (v: string | null): string => (v === null ? '(empty)' : `"${v}"`);

function rowList(rows: readonly number[]): string {
  if (rows.length <= 8) return `row${rows.length > 1 ? 's' : ''} ${rows.join(', ')}`;
  return `${rows.length} rows: ${rows.slice(0, 6).join(', ')}, ... ${rows[rows.length - 1]}`;
}

interface Group {
  first: ValidRow | null; // first valid row: the reference the others must agree with
  head: number; // first item index, -1 when none
  tail: number;
  count: number;
  sumCents: number;
  overflow: boolean;
  excluded: boolean;
  notes: string | null;
}

/** Growable columns of items; `next` links the items of one purchase in file order. */
class ItemColumns {
  size = 0;
  row = new Int32Array(1024);
  quantity = new Int32Array(1024);
  next = new Int32Array(1024);
  price = new Float64Array(1024);
  sku: string[] = [];
  notes: (string | null)[] = [];

  push(r: ValidRow): number {
    if (this.size === this.row.length) this.grow();
    const i = this.size++;
    this.row[i] = r.row;
    this.quantity[i] = r.quantity;
    this.price[i] = r.unitPriceCents;
    this.next[i] = -1;
    this.sku.push(r.skuId);
    this.notes.push(r.notes);
    return i;
  }

  private grow(): void {
    const n = this.row.length * 2;
    const widen = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.row = widen(this.row, (k) => new Int32Array(k));
    this.quantity = widen(this.quantity, (k) => new Int32Array(k));
    this.next = widen(this.next, (k) => new Int32Array(k));
    this.price = widen(this.price, (k) => new Float64Array(k));
  }
}

/**
 * A transaction that passed the whole-purchase rules, with its total (also what a chunk stream
 * holds until its chunk is cut: the group's items stay in the grouper's columns).
 */
export interface Accepted {
  transactionNumber: string;
  g: Group;
  first: ValidRow;
  total: number;
}

export interface PurchaseStats {
  purchases: number;
  items: number;
  totalAmountCents: number;
  firstPurchasedAt: string | null;
  lastPurchasedAt: string | null;
}

export class PurchaseGrouper {
  private readonly groups = new Map<string, Group>();
  private readonly errors: RowError[] = [];
  private readonly items = new ItemColumns();
  // Rows of a purchase are usually adjacent: most rows skip the map lookup.
  private lastKey: string | null = null;
  private lastGroup: Group | null = null;
  // Purchases handed out as they complete (stream-chunks.ts); null when not asked or broken.
  private stream: ChunkStream<Accepted> | null = null;

  /**
   * Hands each purchase to `stream` once complete: when a row of another transaction arrives
   * (rows of a transaction are adjacent in almost every file; one seen again breaks the stream),
   * and the last one at endStream. The whole-purchase rules of finish are applied at its close.
   */
  streamTo(stream: ChunkStream<Accepted>): void {
    if (this.groups.size > 0) throw new Error('streamTo must be called before the first row');
    this.stream = stream;
  }

  /** Stops the stream (an error outside the grouper); the report is not affected. */
  breakStream(reason: string): void {
    this.stream?.break(reason);
    this.stream = null;
  }

  /** Every row is in: the last purchase is handed out (the caller ends the stream). */
  endStream(): void {
    if (this.stream === null) return;
    if (this.lastKey !== null && this.lastGroup !== null) {
      this.closeForStream(this.lastKey, this.lastGroup);
    }
    this.stream = null;
  }

  /** Errors found so far (row rules across a transaction's rows). */
  get errorCount(): number {
    return this.errors.length;
  }

  private group(transactionNumber: string): Group {
    if (transactionNumber === this.lastKey && this.lastGroup) return this.lastGroup;
    let g = this.groups.get(transactionNumber);
    if (!g) {
      g = {
        first: null,
        head: -1,
        tail: -1,
        count: 0,
        sumCents: 0,
        overflow: false,
        excluded: false,
        notes: null,
      };
      this.groups.set(transactionNumber, g);
    }
    this.lastKey = transactionNumber;
    this.lastGroup = g;
    return g;
  }

  /**
   * A row of this transaction had a cell error: the whole purchase stays out (never import half
   * a purchase), and its other rows get no extra error for it.
   */
  exclude(transactionNumber: string): void {
    if (this.stream !== null)
      this.breakStream(`transaction "${transactionNumber}" has a row error`);
    this.group(transactionNumber).excluded = true;
  }

  add(row: ValidRow): void {
    if (this.stream !== null && row.transactionNumber !== this.lastKey) this.streamNext(row);
    const g = this.group(row.transactionNumber);
    const first = g.first;
    if (first === null) {
      g.first = row;
    } else {
      // Plain comparisons first: this runs for every row, the messages almost never.
      if (row.userId !== first.userId) {
        // A member named by e-mail is reported in the user_email column, as the file gives it.
        const mine = userRefCell(row.userId);
        this.differs(g, row, first, mine.column, mine.value, userRefCell(first.userId).value);
      }
      if (row.purchasedAt !== first.purchasedAt) {
        this.differs(g, row, first, 'purchased_at', row.purchasedAt, first.purchasedAt);
      }
      if (row.currency !== first.currency) {
        this.differs(g, row, first, 'currency', row.currency, first.currency);
      }
      if (row.totalAmountCents !== first.totalAmountCents) {
        const mine = money(row.totalAmountCents);
        this.differs(g, row, first, 'total_amount', mine, money(first.totalAmountCents));
      }
      if (row.storeCode !== first.storeCode) {
        this.differs(g, row, first, 'store_code', row.storeCode, first.storeCode);
      }
    }
    const line = row.quantity * row.unitPriceCents;
    // Accepted sums stay below MAX_CENTS, far under 2^53, so the arithmetic below is exact.
    if (line > MAX_CENTS || g.sumCents + line > MAX_CENTS) g.overflow = true;
    else g.sumCents += line;
    if (g.notes === null && row.notes !== null) g.notes = row.notes;
    const item = this.items.push(row);
    if (g.tail < 0) g.head = item;
    else this.items.next[g.tail] = item;
    g.tail = item;
    g.count++;
  }

  /** A row of another transaction than the last: the last one is complete. */
  private streamNext(row: ValidRow): void {
    if (this.lastKey !== null && this.lastGroup !== null) {
      this.closeForStream(this.lastKey, this.lastGroup);
    }
    if (this.groups.has(row.transactionNumber)) {
      this.breakStream(
        `row ${row.row}: transaction "${row.transactionNumber}" continues after another one started (its rows are not adjacent)`,
      );
    }
    if (this.stream !== null && !this.stream.live) this.stream = null;
  }

  /** A complete purchase to the stream, or the stream broken by the rule it fails. */
  private closeForStream(transactionNumber: string, g: Group): void {
    const first = g.first;
    if (g.excluded || first === null) {
      this.breakStream(`transaction "${transactionNumber}" is refused`);
      return;
    }
    const refusal = this.refusal(g, first);
    if (refusal !== null) {
      this.breakStream(`row ${first.row}: transaction "${transactionNumber}": ${refusal}`);
      return;
    }
    // Their staged ids come from the reference check, after the parse. (The column mapping
    // decides it for the whole file and the analyser breaks the stream at its header; this is a
    // net, one comparison per purchase.)
    if (userKeyOf(first.userId) !== null) {
      this.breakStream(`row ${first.row}: a member named by e-mail`);
      return;
    }
    const total = first.totalAmountCents ?? g.sumCents;
    this.stream?.purchase({ transactionNumber, g, first, total }, g.count);
  }

  /** Streamed purchases as the report's purchases (finish gives equal ones). */
  purchasesOf(accepted: readonly Accepted[]): Purchase[] {
    return accepted.map((a) => this.purchaseOf(a));
  }

  /** Streamed purchases as columns over the item columns, without objects (for an encoder). */
  columnsOf(accepted: readonly Accepted[]): ChunkColumns {
    const n = accepted.length;
    let rows = 0;
    for (let p = 0; p < n; p++) rows += (accepted[p] as Accepted).g.count;
    const out: ChunkColumns = {
      transactionNumber: new Array<string>(n),
      userId: new Array<string>(n),
      purchasedAt: new Array<string>(n),
      currency: new Array<string | null>(n),
      totalAmountCents: new Float64Array(n),
      storeCode: new Array<string | null>(n),
      itemCount: new Int32Array(n),
      items: new Int32Array(rows),
      row: this.items.row,
      skuId: this.items.sku,
      quantity: this.items.quantity,
      unitPriceCents: this.items.price,
      notes: this.items.notes,
    };
    const next = this.items.next;
    const tn = out.transactionNumber as string[];
    const user = out.userId as string[];
    const at = out.purchasedAt as string[];
    const currency = out.currency as (string | null)[];
    const store = out.storeCode as (string | null)[];
    let k = 0;
    for (let p = 0; p < n; p++) {
      const { transactionNumber, g, first, total } = accepted[p] as Accepted;
      tn[p] = transactionNumber;
      user[p] = first.userId;
      at[p] = first.purchasedAt;
      currency[p] = first.currency;
      out.totalAmountCents[p] = total;
      store[p] = first.storeCode;
      out.itemCount[p] = g.count;
      for (let i = g.head; i >= 0; i = next[i] ?? -1) out.items[k++] = i;
    }
    return out;
  }

  /** The whole-purchase rule a transaction fails (finish reports it), or null. */
  private refusal(g: Group, first: ValidRow): 'out_of_range' | 'total_mismatch' | null {
    if (g.overflow) return 'out_of_range';
    const given = first.totalAmountCents;
    if (given !== null && Math.abs(given - g.sumCents) > TOTAL_TOLERANCE_CENTS) {
      return 'total_mismatch';
    }
    return null;
  }

  private differs(
    g: Group,
    row: ValidRow,
    first: ValidRow,
    column: PurchaseField,
    mine: string | null,
    theirs: string | null,
  ): void {
    g.excluded = true;
    if (this.stream !== null) {
      this.breakStream(
        `row ${row.row}: ${column} differs within transaction "${row.transactionNumber}"`,
      );
    }
    this.errors.push({
      row: row.row,
      column,
      code: 'inconsistent_purchase',
      message: `${column} ${shown(mine)} differs from row ${first.row} of transaction "${row.transactionNumber}" (${shown(theirs)}); all rows of a transaction must agree`,
      value: mine,
    });
  }

  private rowsOf(g: Group): number[] {
    const rows = new Array<number>(g.count);
    for (let i = g.head, k = 0; i >= 0; i = this.items.next[i] ?? -1, k++) {
      rows[k] = this.items.row[i] ?? 0;
    }
    return rows;
  }

  /** Applies the whole-purchase rules once; returns the purchases that pass, in file order. */
  private accepted(): Accepted[] {
    return runSteps(this.acceptedSteps());
  }

  private *acceptedSteps(): Steps<Accepted[]> {
    const out: Accepted[] = [];
    let n = 0;
    for (const [transactionNumber, g] of this.groups) {
      if (++n % STEP_SIZE === 0) yield;
      const first = g.first;
      if (g.excluded || first === null) continue;
      const refusal = this.refusal(g, first);
      if (refusal === 'out_of_range') {
        this.errors.push({
          row: first.row,
          column: 'quantity',
          code: 'out_of_range',
          message: `the items of transaction "${transactionNumber}" (${rowList(this.rowsOf(g))}) add up to more than 9999999999.99`,
          value: String(first.quantity),
        });
        continue;
      }
      const given = first.totalAmountCents;
      if (refusal === 'total_mismatch' && given !== null) {
        this.errors.push({
          row: first.row,
          column: 'total_amount',
          code: 'total_mismatch',
          message: `total_amount ${formatCents(given)} of transaction "${transactionNumber}" does not match its items, which add up to ${formatCents(g.sumCents)} (${rowList(this.rowsOf(g))})`,
          value: formatCents(given),
        });
        continue;
      }
      out.push({ transactionNumber, g, first, total: given ?? g.sumCents });
    }
    return out;
  }

  /** Purchases in file order (first row), and the cross-row errors. */
  finish(): { purchases: Purchase[]; errors: RowError[] } {
    return runSteps(this.finishSteps());
  }

  /**
   * finish in steps: a re-validation that re-checks every row of a 1M-row file (a replace-all
   * over a whole column) groups them all again, ~0.3 s in one go on main (issue 18).
   */
  *finishSteps(): Steps<{ purchases: Purchase[]; errors: RowError[] }> {
    const accepted = yield* this.acceptedSteps();
    const purchases = new Array<Purchase>(accepted.length);
    for (let p = 0; p < accepted.length; p++) {
      if (p % STEP_SIZE === STEP_SIZE - 1) yield;
      purchases[p] = this.purchaseOf(accepted[p] as Accepted);
    }
    return { purchases, errors: this.errors };
  }

  private purchaseOf({ transactionNumber, g, first, total }: Accepted): Purchase {
    const { items } = this;
    // Sized up front, as unpacked purchases are (packed-report.ts's purchaseAt).
    const list = new Array<PurchaseItem>(g.count);
    const rows = new Array<number>(g.count);
    for (let i = g.head, k = 0; i >= 0; i = items.next[i] ?? -1, k++) {
      const row = items.row[i] ?? 0;
      rows[k] = row;
      list[k] = {
        row,
        lineNumber: k + 1,
        skuId: items.sku[i] ?? '',
        quantity: items.quantity[i] ?? 0,
        unitPriceCents: items.price[i] ?? 0,
        notes: items.notes[i] ?? null,
      };
    }
    return {
      transactionNumber,
      userId: first.userId,
      purchasedAt: first.purchasedAt,
      currency: first.currency,
      totalAmountCents: total,
      storeCode: first.storeCode,
      notes: g.notes,
      rows,
      items: list,
    };
  }

  /**
   * Same purchases, packed for a thread boundary without building purchase objects (what
   * unpackPurchases(packed) returns equals finish().purchases), with the summary's figures.
   */
  finishPacked(): { packed: PackedPurchases; errors: RowError[]; stats: PurchaseStats } {
    const accepted = this.accepted();
    const { items } = this;
    let itemCount = 0;
    for (const a of accepted) itemCount += a.g.count;
    const table = new StringTable();
    const purchaseInts = new Int32Array(accepted.length * PURCHASE_FIELDS);
    const totals = new Float64Array(accepted.length);
    const itemInts = new Int32Array(itemCount * ITEM_FIELDS);
    const prices = new Float64Array(itemCount);
    const stats: PurchaseStats = {
      purchases: accepted.length,
      items: itemCount,
      totalAmountCents: 0,
      firstPurchasedAt: null,
      lastPurchasedAt: null,
    };
    let item = 0;
    let lastAt = '';
    let lastAtRef = NULL_REF;
    accepted.forEach(({ transactionNumber, g, first, total }, p) => {
      const o = p * PURCHASE_FIELDS;
      purchaseInts[o] = table.add(transactionNumber);
      purchaseInts[o + 1] = table.ref(first.userId);
      if (first.purchasedAt !== lastAt) {
        lastAt = first.purchasedAt;
        lastAtRef = table.add(lastAt);
      }
      purchaseInts[o + 2] = lastAtRef;
      purchaseInts[o + 3] = table.ref(first.currency);
      purchaseInts[o + 4] = table.ref(first.storeCode);
      purchaseInts[o + 5] = g.notes === null ? NULL_REF : table.add(g.notes);
      purchaseInts[o + 6] = g.count;
      totals[p] = total;
      stats.totalAmountCents += total;
      const at = first.purchasedAt;
      if (stats.firstPurchasedAt === null || at < stats.firstPurchasedAt)
        stats.firstPurchasedAt = at;
      if (stats.lastPurchasedAt === null || at > stats.lastPurchasedAt) stats.lastPurchasedAt = at;
      for (let i = g.head; i >= 0; i = items.next[i] ?? -1) {
        const q = item * ITEM_FIELDS;
        itemInts[q] = items.row[i] ?? 0;
        itemInts[q + 1] = table.ref(items.sku[i] ?? '');
        itemInts[q + 2] = items.quantity[i] ?? 0;
        const note = items.notes[i] ?? null;
        itemInts[q + 3] = note === null ? NULL_REF : table.add(note);
        prices[item] = items.price[i] ?? 0;
        item++;
      }
    });
    return {
      packed: { strings: table.table(), purchaseInts, totals, itemInts, prices },
      errors: this.errors,
      stats,
    };
  }
}

/** All-at-once form: `excluded` lists transactions that had a row with a cell error. */
export function groupPurchases(
  rows: readonly ValidRow[],
  excluded: Iterable<string> = [],
): { purchases: Purchase[]; errors: RowError[] } {
  const grouper = new PurchaseGrouper();
  for (const t of excluded) grouper.exclude(t);
  for (const row of rows) grouper.add(row);
  return grouper.finish();
}
