import type { StagedChunk } from '../../../shared/db/rpc-contract';
import { arrayElement as element } from '../../../shared/db/staging';
import { formatCents } from '../../../shared/domain/money';
import { SKU_KEY_PREFIX, USER_KEY_PREFIX } from '../../../shared/domain/natural-keys';
import type { ChunkColumns } from '../../../shared/domain/stream-chunks';

/**
 * The parse worker's encoder of streamed chunks (issue 14): the same text as shared/db/staging.ts
 * toStagedChunk gives for the same purchases (staged-chunk-writer.test.ts checks it byte for
 * byte), written from the grouper's own arrays (ChunkColumns) column by column into a byte buffer
 * that is reused, one string per column. Why not toStagedChunk: in the worker at 1M rows it added
 * ~48 % to the parse over purchases made for it (a Purchase and item objects, a string per
 * element, arrays joined: much of it the garbage collector's time in a heap holding the whole
 * file); this writer allocates nothing per element.
 *
 * A member or SKU named by a natural key is written as toStagedChunk writes it without resolved
 * keys (id NULL, the key in user_email / sku_code); a stream never hands such purchases out (their
 * ids come from the reference check: shared/domain/stream-chunks.ts), the rule is kept exact.
 */

const COMMA = 44;
const MINUS = 45;
const POINT = 46;
const ZERO = 48;
const [N, U, L] = [78, 85, 76];

/**
 * ASCII characters that make staging.ts's NEEDS_QUOTES match inside a text: its \s (tab, line feed, vertical
 * tab, form feed, carriage return, space) and { } " , \. Any other character below 128 is written
 * as it is; a text with one of these, a character from 128 on (\s has some), or that is empty or
 * "null" in any case goes the slow way, through arrayElement itself.
 */
const SPECIAL = new Uint8Array(128);
for (const c of [9, 10, 11, 12, 13, 32, 123, 125, 34, 44, 92]) SPECIAL[c] = 1;

/** One column's array literal as UTF-8 bytes, the buffer kept for the next chunk. */
class ByteColumn {
  private buf = Buffer.allocUnsafe(1 << 16);
  private len = 1;
  private count = 0;
  /** Elements that are not NULL: a column of nothing but NULL is left out of the chunk. */
  given = 0;
  /** NULLs before the first element that is not (written only if one comes: most columns of
   *  nothing but NULL, such as notes, cost nothing). */
  private leadingNulls = 0;
  /** Nothing but ASCII written: the literal is read as latin1, a plain copy. */
  private ascii = true;

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
    if (this.leadingNulls > 0) this.writeLeadingNulls();
    this.room(n + 1);
    if (this.count++ > 0) this.buf[this.len++] = COMMA;
  }

  null(): void {
    if (this.given === 0) {
      this.leadingNulls++;
      return;
    }
    this.next(4);
    this.putNull();
  }

  private putNull(): void {
    const buf = this.buf;
    const at = this.len;
    buf[at] = N;
    buf[at + 1] = U;
    buf[at + 2] = L;
    buf[at + 3] = L;
    this.len = at + 4;
  }

  private writeLeadingNulls(): void {
    const n = this.leadingNulls;
    this.leadingNulls = 0;
    this.room(n * 5);
    for (let i = 0; i < n; i++) {
      if (this.count++ > 0) this.buf[this.len++] = COMMA;
      this.putNull();
    }
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
    const n = raw.length;
    // Quoted, every character may double and take 3 bytes in UTF-8.
    this.next(n * 6 + 2);
    this.given++;
    const buf = this.buf;
    const at = this.len;
    if (n === 0 || (n === 4 && raw.toLowerCase() === 'null')) {
      this.slowText(raw, at);
      return;
    }
    for (let i = 0; i < n; i++) {
      const c = raw.charCodeAt(i);
      if (c >= 128 || SPECIAL[c] === 1) {
        this.slowText(raw, at);
        return;
      }
      buf[at + i] = c;
    }
    this.len = at + n;
  }

  private slowText(raw: string, at: number): void {
    const text = element(raw);
    const bytes = this.buf.write(text, at, 'utf8');
    if (bytes !== text.length) this.ascii = false;
    this.len = at + bytes;
  }

  /** Bytes written elsewhere (an entry number shared by a purchase's items). */
  raw(bytes: Uint8Array, n: number): void {
    this.next(n);
    const buf = this.buf;
    const at = this.len;
    for (let i = 0; i < n; i++) buf[at + i] = bytes[i] as number;
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
    if (v > 0x7fffffff || !Number.isInteger(v)) {
      // Past 31 bits (totals near the money limit) or not whole: as String writes it.
      this.len += buf.write(String(v), this.len, 'latin1');
      return;
    }
    let end = this.len + 1;
    for (let rest = v; rest >= 10; rest = (rest / 10) | 0) end++;
    let i = end;
    do {
      const q = (v / 10) | 0;
      buf[--i] = ZERO + v - q * 10;
      v = q;
    } while (v > 0);
    this.len = end;
  }

  /** The column's array literal; the column starts over. */
  literal(): string {
    this.buf[this.len++] = 125; // }
    const out = this.buf.toString(this.ascii ? 'latin1' : 'utf8', 0, this.len);
    this.reset();
    return out;
  }

  reset(): void {
    this.len = 1;
    this.count = 0;
    this.given = 0;
    this.leadingNulls = 0;
    this.ascii = true;
  }
}

export class StagedChunkWriter {
  private readonly column = new ByteColumn();
  private readonly keys = new ByteColumn();
  /** An entry number as digits, written on each of its purchase's items. */
  private readonly entry = new Uint8Array(12);

  /**
   * The chunk of these columns, keys in toStagedChunk's order. Column by column: each loop
   * touches one column, which measured well under one call per item writing all of them.
   */
  write(c: ChunkColumns): StagedChunk {
    const { items } = c;
    const rows = items.length;
    const purchases = c.itemCount.length;
    const col = this.column;
    const keys = this.keys;
    const named: Record<string, string> = {};
    const take = (name: string): void => {
      if (col.given > 0) named[name] = col.literal();
      else col.reset();
    };
    const takeKeys = (): string | null => {
      if (keys.given > 0) return keys.literal();
      keys.reset();
      return null;
    };

    for (let k = 0; k < rows; k++) col.int(c.row[items[k] as number] as number);
    named.row = col.literal();
    const entry = this.entry;
    for (let p = 0; p < purchases; p++) {
      let v = p + 1;
      let n = 0;
      for (let probe = v; probe > 0; probe = Math.floor(probe / 10)) n++;
      for (let i = n - 1; i >= 0; i--) {
        const q = Math.floor(v / 10);
        entry[i] = ZERO + v - q * 10;
        v = q;
      }
      for (let j = c.itemCount[p] as number; j > 0; j--) col.raw(entry, n);
    }
    named.purchase = col.literal();
    for (let k = 0; k < rows; k++) {
      const sku = c.skuId[items[k] as number] as string;
      if (sku.startsWith(SKU_KEY_PREFIX)) {
        col.null();
        keys.text(sku.slice(SKU_KEY_PREFIX.length));
      } else {
        col.text(sku);
        keys.null();
      }
    }
    take('sku_id');
    const codes = takeKeys();
    for (let k = 0; k < rows; k++) col.int(c.quantity[items[k] as number] as number);
    take('quantity');
    for (let k = 0; k < rows; k++) col.cents(c.unitPriceCents[items[k] as number] as number);
    take('unit_price');
    for (let k = 0; k < rows; k++) {
      const notes = c.notes[items[k] as number] ?? null;
      if (notes === null) col.null();
      else col.text(notes);
    }
    take('notes');
    if (codes !== null) named.sku_code = codes;

    for (let p = 0; p < purchases; p++) col.text(c.transactionNumber[p] as string);
    take('transaction_number');
    for (let p = 0; p < purchases; p++) {
      const user = c.userId[p] as string;
      if (user.startsWith(USER_KEY_PREFIX)) {
        col.null();
        keys.text(user.slice(USER_KEY_PREFIX.length));
      } else {
        col.text(user);
        keys.null();
      }
    }
    take('user_id');
    const emails = takeKeys();
    for (let p = 0; p < purchases; p++) col.text(c.purchasedAt[p] as string);
    take('purchased_at');
    this.texts(c.currency, purchases);
    take('currency');
    for (let p = 0; p < purchases; p++) col.cents(c.totalAmountCents[p] as number);
    take('total_amount');
    this.texts(c.storeCode, purchases);
    take('store_code');
    if (emails !== null) named.user_email = emails;
    return named as StagedChunk;
  }

  private texts(values: readonly (string | null)[], n: number): void {
    const col = this.column;
    for (let i = 0; i < n; i++) {
      const value = values[i] ?? null;
      if (value === null) col.null();
      else col.text(value);
    }
  }
}
