import { CANONICAL_COLUMNS, type CanonicalColumn, type RowError } from './types';

/**
 * Web-shop exports (Shopify's orders export among them) list one row per line item and give the
 * order's fields (customer, time, currency, totals) on the order's first row only. With the
 * explicit option "order fields are given on the first row of each order only" (fillOrderFields,
 * --fill-order-fields) an empty order field takes the value of the order's row above; without it
 * such rows are refused as before, their errors carrying a hint that names the option. Never
 * applied silently: a blank cell in a file of repeated fields is a defect.
 */

/** The purchase's own fields: every row of a transaction must agree on them. */
export const ORDER_FIELDS: readonly CanonicalColumn[] = [
  'user_id',
  'user_email',
  'purchased_at',
  'currency',
  'total_amount',
  'store_code',
];

export const FILL_ORDER_FIELDS_LABEL = 'Order fields on first row only';

const HINT = `; the order's fields given on its first row only? Turn on “${FILL_ORDER_FIELDS_LABEL}” (--fill-order-fields on the command line)`;

const TRANSACTION = CANONICAL_COLUMNS.indexOf('transaction_number');
const POSITIONS = ORDER_FIELDS.map((c) => CANONICAL_COLUMNS.indexOf(c));

/**
 * Fed every data record in file order. Rows of one order must follow each other (as exports
 * write them): an order's rows further down are not filled, and stay refused.
 */
export class OrderFieldFiller {
  private lastTransaction = '';
  private readonly last: string[] = POSITIONS.map(() => '');
  /** Rows that looked like a follow-up row of an order whose fields were left empty. */
  private readonly followUps = new Set<number>();

  constructor(private readonly fill: boolean) {}

  /** The record with its empty order fields filled (when asked), else the record itself. */
  next(record: string[], index: readonly number[], row: number): string[] {
    const at = index[TRANSACTION] ?? -1;
    const transaction = at < 0 ? '' : (record[at] ?? '').trim();
    const sameOrder = transaction !== '' && transaction === this.lastTransaction;
    this.lastTransaction = transaction;
    let out: string[] | null = null;
    for (let k = 0; k < POSITIONS.length; k++) {
      const i = index[POSITIONS[k] ?? -1] ?? -1;
      if (i < 0) continue;
      const cell = record[i] ?? '';
      if (cell.trim() !== '') {
        this.last[k] = cell;
      } else if (sameOrder && this.last[k] !== '') {
        if (!this.fill) {
          this.followUps.add(row);
          continue;
        }
        out ??= [...record];
        out[i] = this.last[k] ?? '';
      } else if (!sameOrder) {
        this.last[k] = '';
      }
    }
    return out ?? record;
  }

  /** True when some row looked like an order's follow-up row with its fields left empty. */
  get sawFollowUps(): boolean {
    return this.followUps.size > 0;
  }

  /** The errors, those of follow-up rows on order fields with the hint naming the option. */
  hint(errors: RowError[]): RowError[] {
    if (this.followUps.size === 0) return errors;
    return errors.map((e) =>
      this.followUps.has(e.row) &&
      e.column !== null &&
      (ORDER_FIELDS as readonly string[]).includes(e.column) &&
      (e.code === 'required' || e.code === 'inconsistent_purchase')
        ? { ...e, message: e.message + HINT }
        : e,
    );
  }
}
