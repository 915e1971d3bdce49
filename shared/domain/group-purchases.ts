import { formatCents, MAX_CENTS } from './money';
import type { Purchase, PurchaseItem, RowError, ValidRow } from './types';

/**
 * Groups line items into purchases by transaction_number, wherever the rows sit in the file, and
 * applies the cross-row rules. Rows arrive one at a time (the streaming worker feeds them as it
 * parses), so only the first row of each transaction and compact items are kept.
 */

/** How much a given total may differ from the items' sum, in cents (the 0.01 rule). */
export const TOTAL_TOLERANCE_CENTS = 1;

type PurchaseField = 'user_id' | 'purchased_at' | 'currency' | 'total_amount' | 'store_code';

const money = (cents: number | null): string | null => (cents === null ? null : formatCents(cents));

interface Group {
  first: ValidRow | null; // first valid row: the reference the others must agree with
  items: PurchaseItem[];
  sumCents: number;
  overflow: boolean;
  excluded: boolean;
  notes: string | null;
}

const shown = (v: string | null): string => (v === null ? '(empty)' : `"${v}"`);

function rowList(rows: readonly number[]): string {
  if (rows.length <= 8) return `row${rows.length > 1 ? 's' : ''} ${rows.join(', ')}`;
  return `${rows.length} rows: ${rows.slice(0, 6).join(', ')}, ... ${rows[rows.length - 1]}`;
}

export class PurchaseGrouper {
  private readonly groups = new Map<string, Group>();
  private readonly errors: RowError[] = [];
  // Rows of a purchase are usually adjacent: most rows skip the map lookup.
  private lastKey: string | null = null;
  private lastGroup: Group | null = null;

  private group(transactionNumber: string): Group {
    if (transactionNumber === this.lastKey && this.lastGroup) return this.lastGroup;
    let g = this.groups.get(transactionNumber);
    if (!g) {
      g = {
        first: null,
        items: [],
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
    this.group(transactionNumber).excluded = true;
  }

  add(row: ValidRow): void {
    const g = this.group(row.transactionNumber);
    const first = g.first;
    if (first === null) {
      g.first = row;
    } else {
      // Plain comparisons first: this runs for every row, the messages almost never.
      if (row.userId !== first.userId)
        this.differs(g, row, first, 'user_id', row.userId, first.userId);
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
    g.items.push({
      row: row.row,
      lineNumber: g.items.length + 1,
      skuId: row.skuId,
      quantity: row.quantity,
      unitPriceCents: row.unitPriceCents,
      notes: row.notes,
    });
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
    this.errors.push({
      row: row.row,
      column,
      code: 'inconsistent_purchase',
      message: `${column} ${shown(mine)} differs from row ${first.row} of transaction "${row.transactionNumber}" (${shown(theirs)}); all rows of a transaction must agree`,
      value: mine,
    });
  }

  /** Purchases in file order (first row), and the cross-row errors. */
  finish(): { purchases: Purchase[]; errors: RowError[] } {
    const purchases: Purchase[] = [];
    for (const [transactionNumber, g] of this.groups) {
      const first = g.first;
      if (g.excluded || first === null) continue;
      const rows = new Array<number>(g.items.length);
      for (let i = 0; i < rows.length; i++) rows[i] = g.items[i]?.row ?? 0;
      if (g.overflow) {
        this.errors.push({
          row: first.row,
          column: 'quantity',
          code: 'out_of_range',
          message: `the items of transaction "${transactionNumber}" (${rowList(rows)}) add up to more than 9999999999.99`,
          value: String(first.quantity),
        });
        continue;
      }
      const given = first.totalAmountCents;
      if (given !== null && Math.abs(given - g.sumCents) > TOTAL_TOLERANCE_CENTS) {
        this.errors.push({
          row: first.row,
          column: 'total_amount',
          code: 'total_mismatch',
          message: `total_amount ${formatCents(given)} of transaction "${transactionNumber}" does not match its items, which add up to ${formatCents(g.sumCents)} (${rowList(rows)})`,
          value: formatCents(given),
        });
        continue;
      }
      purchases.push({
        transactionNumber,
        userId: first.userId,
        purchasedAt: first.purchasedAt,
        currency: first.currency,
        totalAmountCents: given ?? g.sumCents,
        storeCode: first.storeCode,
        notes: g.notes,
        rows,
        items: g.items,
      });
    }
    return { purchases, errors: this.errors };
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
