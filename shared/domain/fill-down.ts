import { CANONICAL_COLUMNS, type CanonicalColumn, type RawRow, type RowError } from './types';
import { runSteps, STEP_SIZE, type Steps } from './steps';
import { transactionKey } from './validate-row';

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
const BIT = new Map<string, number>(ORDER_FIELDS.map((c, k) => [c, 1 << k]));

/**
 * Which order fields of a row are empty while an earlier row of its transaction gives them
 * (a bit per ORDER_FIELDS entry). Per transaction, in file order, so a re-validation that
 * re-checks a transaction's rows finds what reading the whole file found.
 */
class FollowUps {
  private readonly given = new Map<string, number>();
  readonly rows = new Map<number, number>();

  note(transaction: string, row: number, cellOf: (k: number) => string | null): void {
    if (transaction === '') return;
    let given = this.given.get(transaction) ?? 0;
    let missing = 0;
    for (let k = 0; k < POSITIONS.length; k++) {
      const cell = cellOf(k);
      if (cell === null) continue; // the column is not in the file
      if (cell.trim() !== '') given |= 1 << k;
      else if (given & (1 << k)) missing |= 1 << k;
    }
    this.given.set(transaction, given);
    if (missing !== 0) this.rows.set(row, missing);
  }
}

/** Errors of follow-up rows on their empty order fields, with the hint naming the option. */
export function hintOrderFieldErrors(
  errors: readonly RowError[],
  followUps: ReadonlyMap<number, number>,
): RowError[] {
  if (followUps.size === 0) return [...errors];
  return errors.map((e) => {
    const missing = followUps.get(e.row);
    const bit = e.column === null ? undefined : BIT.get(e.column);
    return missing !== undefined &&
      bit !== undefined &&
      (missing & bit) !== 0 &&
      (e.code === 'required' || e.code === 'inconsistent_purchase')
      ? { ...e, message: e.message + HINT }
      : e;
  });
}

/** The follow-up rows among these raw rows (file order), for a re-validation. */
export function orderFieldFollowUps(rows: readonly RawRow[]): Map<number, number> {
  return runSteps(orderFieldFollowUpsSteps(rows));
}

/** orderFieldFollowUps in steps (a re-validation of every row of 1M: ~0.3 s in one go, issue 18). */
export function* orderFieldFollowUpsSteps(rows: readonly RawRow[]): Steps<Map<number, number>> {
  const followUps = new FollowUps();
  for (let i = 0; i < rows.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    const raw = rows[i] as RawRow;
    followUps.note(transactionKey(raw.cells.transaction_number), raw.row, (k) => {
      const column = ORDER_FIELDS[k];
      return column === undefined ? null : raw.cells[column];
    });
  }
  return followUps.rows;
}

/**
 * Fed every data record in file order. With `fill`, rows of one order must follow each other (as
 * exports write them): an order's rows further down are not filled, and stay refused.
 */
export class OrderFieldFiller {
  private lastTransaction = '';
  private readonly last: string[] = POSITIONS.map(() => '');
  private readonly followUps = new FollowUps();

  constructor(private readonly fill: boolean) {}

  /** The record with its empty order fields filled (when asked), else the record itself. */
  next(record: string[], index: readonly number[], row: number): string[] {
    const at = index[TRANSACTION] ?? -1;
    if (!this.fill) {
      const transaction = at < 0 ? '' : transactionKey(record[at] ?? '');
      this.followUps.note(transaction, row, (k) => {
        const i = index[POSITIONS[k] ?? -1] ?? -1;
        return i < 0 ? '' : (record[i] ?? '');
      });
      return record;
    }
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
        out ??= [...record];
        out[i] = this.last[k] ?? '';
      } else if (!sameOrder) {
        this.last[k] = '';
      }
    }
    return out ?? record;
  }

  /** The errors, those of follow-up rows on order fields with the hint naming the option. */
  hint(errors: RowError[]): RowError[] {
    return this.fill ? errors : hintOrderFieldErrors(errors, this.followUps.rows);
  }
}
