import { formatCents } from '../domain/money';
import { skuKeyOf, userKeyOf, type ResolvedKeys } from '../domain/natural-keys';
import { PurchaseList } from '../domain/purchase-list';
import type { Purchase } from '../domain/types';
import type { StagedChunk, StagedRow } from './rpc-contract';

// What a commit sends to the database: purchases cut into chunks of whole purchases, each chunk
// as columns (toStagedChunk). The commit orchestration (commit-import.ts) is its only caller; the
// rows shape (toStagedRows, one object per item: what older clients send) is the reference the
// columns are checked against, and stagedChunkOf / stagedRowsOf convert between the two for tests.

/**
 * One staged row per item; the purchase fields repeat on each, money as "12.50". A member or SKU
 * named by a natural key is staged as the key plus the id the preview resolved it to (`keys`, from
 * the reference check; null when it was not resolved): the database resolves the key again under
 * the commit's lock (sql/schema/03_validation.sql). Rows of UUIDs are staged as before.
 */
export function toStagedRows(purchases: readonly Purchase[], keys?: ResolvedKeys): StagedRow[] {
  const rows: StagedRow[] = [];
  for (const p of purchases) {
    const total = formatCents(p.totalAmountCents);
    const userEmail = userKeyOf(p.userId);
    const user =
      userEmail === null
        ? { user_id: p.userId }
        : { user_id: keys?.users.get(userEmail)?.id ?? null, user_email: userEmail };
    for (const item of p.items) {
      const skuCode = skuKeyOf(item.skuId);
      rows.push({
        row: item.row,
        transaction_number: p.transactionNumber,
        ...user,
        purchased_at: p.purchasedAt,
        ...(skuCode === null
          ? { sku_id: item.skuId }
          : { sku_id: keys?.skus.get(skuCode)?.id ?? null, sku_code: skuCode }),
        quantity: item.quantity,
        unit_price: formatCents(item.unitPriceCents),
        currency: p.currency,
        total_amount: total,
        store_code: p.storeCode,
        notes: item.notes === undefined ? p.notes : item.notes,
      });
    }
  }
  return rows;
}

/**
 * One chunk as the database reads it fastest (sql/schema/05's chunk_columns): the rows of
 * toStagedRows as columns, each purchase's fields once per purchase instead of once per item,
 * each column a PostgreSQL array literal. For 5,000 rows the body is a third of the rows as
 * objects and the server reads it in half the time; built straight from the purchases, without a
 * row object per item.
 */
export function toStagedChunk(purchases: readonly Purchase[], keys?: ResolvedKeys): StagedChunk {
  const columns = new ChunkColumns();
  for (const p of purchases) {
    const userEmail = userKeyOf(p.userId);
    columns.purchase(
      p.transactionNumber,
      userEmail === null ? p.userId : (keys?.users.get(userEmail)?.id ?? null),
      p.purchasedAt,
      p.currency,
      formatCents(p.totalAmountCents),
      p.storeCode,
      userEmail,
    );
    for (const item of p.items) {
      const skuCode = skuKeyOf(item.skuId);
      columns.item(
        item.row,
        skuCode === null ? item.skuId : (keys?.skus.get(skuCode)?.id ?? null),
        item.quantity,
        formatCents(item.unitPriceCents),
        item.notes === undefined ? p.notes : item.notes,
        skuCode,
      );
    }
  }
  return columns.finish();
}

/**
 * Staged rows (toStagedRows', or a test's) as one chunk of columns: consecutive rows with the same
 * purchase fields share a purchase entry, so the chunk stands for exactly these rows.
 */
export function stagedChunkOf(rows: readonly StagedRow[]): StagedChunk {
  const columns = new ChunkColumns();
  let last: StagedRow | undefined;
  for (const r of rows) {
    const email = r.user_email ?? null;
    if (
      last === undefined ||
      last.transaction_number !== r.transaction_number ||
      last.user_id !== r.user_id ||
      last.purchased_at !== r.purchased_at ||
      last.currency !== r.currency ||
      last.total_amount !== r.total_amount ||
      last.store_code !== r.store_code ||
      (last.user_email ?? null) !== email
    ) {
      columns.purchase(
        r.transaction_number,
        r.user_id,
        r.purchased_at,
        r.currency,
        r.total_amount,
        r.store_code,
        email,
      );
    }
    last = r;
    columns.item(r.row, r.sku_id, r.quantity, r.unit_price, r.notes, r.sku_code ?? null);
  }
  return columns.finish();
}

/**
 * A chunk's rows as toStagedRows writes them, from either shape of the payload (tests, and the
 * reading twin of ChunkColumns: what the database's chunk_columns and chunk_rows read).
 */
export function stagedRowsOf(payload: StagedChunk | readonly StagedRow[]): StagedRow[] {
  if (Array.isArray(payload)) return [...payload];
  const chunk = payload as StagedChunk;
  const column = (literal: string | undefined, size: number): (string | null)[] =>
    literal === undefined ? new Array<null>(size).fill(null) : parseArrayLiteral(literal);
  const rows = parseArrayLiteral(chunk.row);
  const n = rows.length;
  const entry = column(chunk.purchase, n);
  const purchases = parseArrayLiteral(chunk.transaction_number ?? '{}').length;
  const at = (literal: string | undefined): (string | null)[] => column(literal, purchases);
  const [tx, user, time, currency, total, store, email] = [
    at(chunk.transaction_number),
    at(chunk.user_id),
    at(chunk.purchased_at),
    at(chunk.currency),
    at(chunk.total_amount),
    at(chunk.store_code),
    at(chunk.user_email),
  ];
  const [sku, quantity, price, notes, code] = [
    column(chunk.sku_id, n),
    column(chunk.quantity, n),
    column(chunk.unit_price, n),
    column(chunk.notes, n),
    column(chunk.sku_code, n),
  ];
  return rows.map((row, i) => {
    const p = Number(entry[i]) - 1;
    const userEmail = email[p] ?? null;
    const skuCode = code[i] ?? null;
    return {
      row: Number(row),
      transaction_number: tx[p] ?? '',
      user_id: user[p] ?? null,
      ...(userEmail === null ? {} : { user_email: userEmail }),
      purchased_at: time[p] ?? '',
      sku_id: sku[i] ?? null,
      ...(skuCode === null ? {} : { sku_code: skuCode }),
      quantity: Number(quantity[i]),
      unit_price: price[i] ?? '',
      currency: currency[p] ?? null,
      total_amount: total[p] ?? null,
      store_code: store[p] ?? null,
      notes: notes[i] ?? null,
    };
  });
}

/** The elements of a one-dimensional array literal as ChunkColumns writes one (NULL: null). */
export function parseArrayLiteral(literal: string): (string | null)[] {
  if (!literal.startsWith('{') || !literal.endsWith('}')) {
    throw new SyntaxError(`not an array literal: ${literal.slice(0, 40)}`);
  }
  const out: (string | null)[] = [];
  const body = literal.slice(1, -1);
  if (body === '') return out;
  let i = 0;
  for (;;) {
    if (body[i] === '"') {
      let text = '';
      i++;
      while (body[i] !== '"') {
        if (i >= body.length) throw new SyntaxError('unterminated quoted element');
        if (body[i] === '\\') i++;
        text += body[i];
        i++;
      }
      out.push(text);
      i++;
    } else {
      const end = body.indexOf(',', i);
      const text = body.slice(i, end === -1 ? body.length : end);
      out.push(/^null$/i.test(text) ? null : text);
      i = end === -1 ? body.length : end;
    }
    if (i >= body.length) return out;
    if (body[i] !== ',') throw new SyntaxError(`expected a comma at ${i}`);
    i++;
  }
}

type Element = string | number | null;

/** Collects a chunk's columns as array literal elements; a column with no value is left out. */
class ChunkColumns {
  private readonly rows: string[] = [];
  private readonly entries: string[] = [];
  private readonly perRow = {
    sku_id: new Column(),
    quantity: new Column(),
    unit_price: new Column(),
    notes: new Column(),
    sku_code: new Column(),
  };
  private readonly perPurchase = {
    transaction_number: new Column(),
    user_id: new Column(),
    purchased_at: new Column(),
    currency: new Column(),
    total_amount: new Column(),
    store_code: new Column(),
    user_email: new Column(),
  };
  private purchases = 0;

  purchase(
    transactionNumber: string,
    userId: string | null,
    purchasedAt: string,
    currency: string | null,
    totalAmount: string | null,
    storeCode: string | null,
    userEmail: string | null,
  ): void {
    const c = this.perPurchase;
    c.transaction_number.push(transactionNumber);
    c.user_id.push(userId);
    c.purchased_at.push(purchasedAt);
    c.currency.push(currency);
    c.total_amount.push(totalAmount);
    c.store_code.push(storeCode);
    c.user_email.push(userEmail);
    this.purchases++;
  }

  item(
    row: number,
    skuId: string | null,
    quantity: number,
    unitPrice: string,
    notes: string | null,
    skuCode: string | null,
  ): void {
    this.rows.push(String(row));
    this.entries.push(String(this.purchases));
    const c = this.perRow;
    c.sku_id.push(skuId);
    c.quantity.push(quantity);
    c.unit_price.push(unitPrice);
    c.notes.push(notes);
    c.sku_code.push(skuCode);
  }

  finish(): StagedChunk {
    const chunk: StagedChunk = {
      row: `{${this.rows.join(',')}}`,
      purchase: `{${this.entries.join(',')}}`,
    };
    const named: Record<string, string> = chunk;
    for (const columns of [this.perRow, this.perPurchase]) {
      for (const [name, column] of Object.entries(columns)) {
        const literal = column.literal();
        if (literal !== null) named[name] = literal;
      }
    }
    return chunk;
  }
}

// What PostgreSQL's array_in would read otherwise: whitespace (trimmed), the syntax characters, an
// empty text and the word NULL. Quoting more than needed is harmless. Shared with the parse
// worker's encoder (electron/core/parse/staged-chunk-writer.ts), which must write the same text.
export const NEEDS_QUOTES = /[\s{}",\\]|^$|^null$/i;

/** A text as one element of an array literal. */
export const arrayElement = (text: string): string =>
  NEEDS_QUOTES.test(text) ? `"${text.replace(/["\\]/g, '\\$&')}"` : text;

class Column {
  private readonly elements: string[] = [];
  private values = 0;

  push(value: Element): void {
    if (value === null) {
      this.elements.push('NULL');
      return;
    }
    this.values++;
    const text = typeof value === 'number' ? String(value) : value;
    this.elements.push(typeof value === 'string' ? arrayElement(text) : text);
  }

  /** The column's array literal, or null when every element is null (left out of the chunk). */
  literal(): string | null {
    return this.values === 0 ? null : `{${this.elements.join(',')}}`;
  }
}

/**
 * Whole purchases per chunk, at most maxRows items each, so a chunk can be staged (and retried)
 * on its own without splitting a purchase; a purchase larger than maxRows gets a chunk alone.
 */
export function chunkPurchases(purchases: readonly Purchase[], maxRows: number): Purchase[][] {
  // The rule is the purchase list's, which the commit cuts by (purchase-list.ts).
  const chunks = PurchaseList.fromArray(purchases).chunks(maxRows);
  return Array.from({ length: chunks.length }, (_, index) => chunks.at(index));
}
