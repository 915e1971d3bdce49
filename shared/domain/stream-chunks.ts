import type { Purchase } from './types';

/**
 * Staging while the file is still being read (issue 14): the grouper hands each purchase over as
 * soon as it is complete (a row of another transaction arrived) and this cuts them into the very
 * chunks the commit would cut the finished report into (PurchaseList.chunks: whole purchases in
 * report order, at most maxRows items each, a bigger purchase alone), so a chunk staged early is
 * byte for byte the chunk the import would have sent.
 *
 * The stream breaks (hands out nothing more, and says why) as soon as the early chunks could
 * differ from the report's or the file would not be imported as it is: any error, a transaction
 * whose rows are not adjacent, a member or SKU named by a natural key (their staged ids come from
 * the reference check after the parse). The caller then takes the normal path; a break never
 * changes the report.
 */

/** A cut of `T`s (the grouper's handles on complete purchases: no object per item yet). */
export interface Cut<T> {
  /** 0, 1, 2… in the order the chunks are handed out, with no gaps. */
  chunkNo: number;
  /** Items (staged rows) in the chunk. */
  rows: number;
  purchases: readonly T[];
}

/**
 * A chunk's purchases as columns, read in place from the grouper's arrays (valid during onChunk
 * only): the worker encodes a chunk column by column from these, without a Purchase or item
 * object (objects for 1M items made the parse half as slow again, mostly in the garbage
 * collector, and one call per item touching every column cost a fifth).
 */
export interface ChunkColumns {
  /** Per purchase, in order. */
  transactionNumber: readonly string[];
  userId: readonly string[];
  purchasedAt: readonly string[];
  currency: readonly (string | null)[];
  totalAmountCents: Float64Array;
  storeCode: readonly (string | null)[];
  itemCount: Int32Array;
  /** Per item, in order (a purchase's items follow each other): where its fields are below. */
  items: Int32Array;
  /** Item fields, indexed by `items`; an item's notes are its own row's. */
  row: Int32Array;
  skuId: readonly string[];
  quantity: Int32Array;
  unitPriceCents: Float64Array;
  notes: readonly (string | null)[];
}

/** A chunk handed out: the commit's PurchaseList.chunks(maxRows).at(chunkNo) of the report. */
export interface PurchaseChunk {
  chunkNo: number;
  rows: number;
  /** How many purchases. */
  size: number;
  /** The purchases as the finished report holds them (made on each call). */
  purchases(): Purchase[];
  /** The same purchases as columns, without making them (valid during onChunk only). */
  columns(): ChunkColumns;
}

export interface ChunkStreamEnd {
  /** Chunks handed out (before the break, when broken). */
  chunks: number;
  /** Items in those chunks. */
  rows: number;
  /** Why the stream stopped early, or null when every purchase was handed out. */
  broken: string | null;
}

export interface ChunkStreamOptions<T> {
  maxRows: number;
  onChunk: (chunk: Cut<T>) => void;
  /**
   * Asked before each chunk is handed out: a reason to break (the file has errors), or null.
   * A net under the explicit breaks, so a defect found by any rule stops the stream.
   */
  guard?: () => string | null;
}

export class ChunkStream<T> {
  private pending: T[] = [];
  private size = 0;
  private chunks = 0;
  private rows = 0;
  private reason: string | null = null;
  private ended = false;

  constructor(private readonly options: ChunkStreamOptions<T>) {
    const { maxRows } = options;
    if (!Number.isInteger(maxRows) || maxRows < 1) {
      throw new RangeError(`maxRows must be a positive integer, got ${maxRows}`);
    }
  }

  /** Still taking purchases: neither broken nor ended. */
  get live(): boolean {
    return this.reason === null && !this.ended;
  }

  /** A complete purchase of `n` items, as the finished report will hold it, in report order. */
  purchase(p: T, n: number): void {
    if (!this.live) return;
    if (this.pending.length > 0 && this.size + n > this.options.maxRows) {
      this.flush();
      if (!this.live) return;
    }
    this.pending.push(p);
    this.size += n;
  }

  /** Stops the stream; the first reason is the one reported. Purchases not handed out are dropped. */
  break(reason: string): void {
    if (!this.live) return;
    this.reason = reason;
    this.pending = [];
    this.size = 0;
  }

  /** Every row is read: the last chunk goes out (unless broken). */
  end(): ChunkStreamEnd {
    if (this.live && this.pending.length > 0) this.flush();
    this.ended = true;
    return this.result;
  }

  get result(): ChunkStreamEnd {
    return { chunks: this.chunks, rows: this.rows, broken: this.reason };
  }

  private flush(): void {
    const why = this.options.guard?.() ?? null;
    if (why !== null) {
      this.break(why);
      return;
    }
    const chunk: Cut<T> = { chunkNo: this.chunks, rows: this.size, purchases: this.pending };
    this.pending = [];
    this.size = 0;
    this.chunks++;
    this.rows += chunk.rows;
    this.options.onChunk(chunk);
  }
}
