import type { StagedChunk } from '../../../shared/db/rpc-contract';
import { formatCents } from '../../../shared/domain/money';
import { SKU_KEY_PREFIX, USER_KEY_PREFIX } from '../../../shared/domain/natural-keys';
import type { PurchaseVisitor } from '../../../shared/domain/stream-chunks';

/**
 * The parse worker's encoder of streamed chunks (issue 14): the same text as shared/db/staging.ts
 * toStagedChunk gives for the same purchases (staged-chunk-writer.test.ts checks it byte for
 * byte), written from the grouper's fields (PurchaseVisitor) straight into byte buffers that are
 * reused from chunk to chunk, one string per column at the end. Why not toStagedChunk: at 1M rows
 * it added ~48 % to the worker's parse over made purchases (a Purchase and item objects, then a
 * string per element and the arrays joined: mostly the garbage collector's time in a heap that
 * holds the whole file), and ~33 % with strings per element from the grouper's fields.
 *
 * A member or SKU named by a natural key is written as toStagedChunk writes it without resolved
 * keys (id NULL, the key in user_email / sku_code); a stream never hands such purchases out (their
 * ids come from the reference check: shared/domain/stream-chunks.ts), the rule is kept exact.
 */

// What PostgreSQL's array_in would read otherwise (staging.ts's rule, kept identical).
const NEEDS_QUOTES = /[\s{}",\\]|^$|^null$/i;
const element = (text: string): string =>
  NEEDS_QUOTES.test(text) ? `"${text.replace(/["\\]/g, '\\$&')}"` : text;

const COMMA = 44;
const MINUS = 45;
const POINT = 46;
const ZERO = 48;
const NULL = Buffer.from('NULL');

/** Past this many distinct texts the cache starts over (a file of unique values gains nothing). */
const CACHE_MAX = 1 << 16;

/** One column's array literal as UTF-8 bytes, the buffer kept for the next chunk. */
class ByteColumn {
  private buf = Buffer.allocUnsafe(1 << 16);
  private len = 1;
  private count = 0;
  /** Elements that are not NULL: a column of nothing but NULL is left out of the chunk. */
  given = 0;

  constructor() {
    this.buf[0] = 123; // {
  }

  private room(n: number): void {
    if (this.len + n + 1 <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n + 1));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  /** Room for `n` more bytes and the comma before a next element. */
  private next(n: number): void {
    this.room(n + 1);
    if (this.count++ > 0) this.buf[this.len++] = COMMA;
  }

  null(): void {
    this.bytes(NULL);
    this.given--;
  }

  /** An element already encoded (a cached text). */
  bytes(b: Uint8Array): void {
    this.next(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    this.given++;
  }

  /** An integer as String(n) writes it. */
  int(n: number): void {
    this.next(21);
    this.digits(n);
    this.given++;
  }

  /** Cents as formatCents writes them ("-12.05"). */
  cents(cents: number): void {
    if (!Number.isSafeInteger(cents)) formatCents(cents); // throws its error
    this.next(22);
    const abs = Math.abs(cents);
    const whole = Math.floor(abs / 100);
    const rest = abs - whole * 100;
    if (cents < 0) this.buf[this.len++] = MINUS;
    this.digits(whole);
    const buf = this.buf;
    buf[this.len++] = POINT;
    buf[this.len++] = ZERO + Math.floor(rest / 10);
    buf[this.len++] = ZERO + (rest % 10);
    this.given++;
  }

  /** A text element, quoted where array_in needs it. */
  text(raw: string): void {
    const text = element(raw);
    const n = text.length;
    this.next(n * 3);
    const buf = this.buf;
    const at = this.len;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128) {
        this.len = at + buf.write(text, at, 'utf8');
        this.given++;
        return;
      }
      buf[at + i] = c;
    }
    this.len = at + n;
    this.given++;
  }

  private digits(value: number): void {
    const buf = this.buf;
    let v = value;
    if (v < 0) {
      buf[this.len++] = MINUS;
      v = -v;
    }
    if (!Number.isSafeInteger(v)) {
      this.len += buf.write(String(v), this.len, 'latin1');
      return;
    }
    let end = this.len;
    let probe = v;
    do {
      end++;
      probe = Math.floor(probe / 10);
    } while (probe > 0);
    let i = end;
    do {
      buf[--i] = ZERO + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
    this.len = end;
  }

  /** The column's array literal; the column starts over. */
  literal(): string {
    this.buf[this.len++] = 125; // }
    const out = this.buf.toString('utf8', 0, this.len);
    this.reset();
    return out;
  }

  reset(): void {
    this.len = 1;
    this.count = 0;
    this.given = 0;
  }
}

export class StagedChunkWriter implements PurchaseVisitor {
  private readonly cache = new Map<string, Buffer>();
  private readonly rows = new ByteColumn();
  private readonly entries = new ByteColumn();
  private readonly skus = new ByteColumn();
  private readonly quantities = new ByteColumn();
  private readonly prices = new ByteColumn();
  private readonly notes = new ByteColumn();
  private readonly transactions = new ByteColumn();
  private readonly users = new ByteColumn();
  private readonly times = new ByteColumn();
  private readonly currencies = new ByteColumn();
  private readonly totals = new ByteColumn();
  private readonly stores = new ByteColumn();
  private readonly emails = new ByteColumn();
  private readonly codes = new ByteColumn();
  private purchases = 0;

  /** A text that repeats (an id, a currency, a store), encoded once. */
  private cached(text: string): Buffer {
    let out = this.cache.get(text);
    if (out === undefined) {
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      out = Buffer.from(element(text));
      this.cache.set(text, out);
    }
    return out;
  }

  purchase(
    transactionNumber: string,
    userId: string,
    purchasedAt: string,
    currency: string | null,
    totalAmountCents: number,
    storeCode: string | null,
  ): void {
    this.purchases++;
    this.transactions.text(transactionNumber);
    if (userId.startsWith(USER_KEY_PREFIX)) {
      this.users.null();
      this.emails.text(userId.slice(USER_KEY_PREFIX.length));
    } else {
      this.users.bytes(this.cached(userId));
      this.emails.null();
    }
    this.times.text(purchasedAt);
    if (currency === null) this.currencies.null();
    else this.currencies.bytes(this.cached(currency));
    this.totals.cents(totalAmountCents);
    if (storeCode === null) this.stores.null();
    else this.stores.bytes(this.cached(storeCode));
  }

  item(
    row: number,
    skuId: string,
    quantity: number,
    unitPriceCents: number,
    notes: string | null,
  ): void {
    this.rows.int(row);
    this.entries.int(this.purchases);
    if (skuId.startsWith(SKU_KEY_PREFIX)) {
      this.skus.null();
      this.codes.text(skuId.slice(SKU_KEY_PREFIX.length));
    } else {
      this.skus.bytes(this.cached(skuId));
      this.codes.null();
    }
    this.quantities.int(quantity);
    this.prices.cents(unitPriceCents);
    if (notes === null) this.notes.null();
    else this.notes.text(notes);
  }

  /** The chunk of everything visited since the last finish, keys in toStagedChunk's order. */
  finish(): StagedChunk {
    const include = (column: ByteColumn, chunk: Record<string, string>, name: string): void => {
      if (column.given > 0) chunk[name] = column.literal();
      else column.reset();
    };
    const chunk: StagedChunk = { row: this.rows.literal(), purchase: this.entries.literal() };
    const named: Record<string, string> = chunk;
    include(this.skus, named, 'sku_id');
    include(this.quantities, named, 'quantity');
    include(this.prices, named, 'unit_price');
    include(this.notes, named, 'notes');
    include(this.codes, named, 'sku_code');
    include(this.transactions, named, 'transaction_number');
    include(this.users, named, 'user_id');
    include(this.times, named, 'purchased_at');
    include(this.currencies, named, 'currency');
    include(this.totals, named, 'total_amount');
    include(this.stores, named, 'store_code');
    include(this.emails, named, 'user_email');
    this.purchases = 0;
    return chunk;
  }
}
