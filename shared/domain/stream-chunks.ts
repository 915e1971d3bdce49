import { skuKeyOf, userKeyOf } from './natural-keys';
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

export interface PurchaseChunk {
  /** 0, 1, 2… in the order the chunks are handed out, with no gaps. */
  chunkNo: number;
  /** Items (staged rows) in the chunk. */
  rows: number;
  purchases: readonly Purchase[];
}

export interface ChunkStreamEnd {
  /** Chunks handed out (before the break, when broken). */
  chunks: number;
  /** Items in those chunks. */
  rows: number;
  /** Why the stream stopped early, or null when every purchase was handed out. */
  broken: string | null;
}

export interface ChunkStreamOptions {
  maxRows: number;
  onChunk: (chunk: PurchaseChunk) => void;
  /**
   * Asked before each chunk is handed out: a reason to break (the file has errors), or null.
   * A net under the explicit breaks, so a defect found by any rule stops the stream.
   */
  guard?: () => string | null;
}

export class ChunkStream {
  private pending: Purchase[] = [];
  private size = 0;
  private chunks = 0;
  private rows = 0;
  private reason: string | null = null;
  private ended = false;

  constructor(private readonly options: ChunkStreamOptions) {
    const { maxRows } = options;
    if (!Number.isInteger(maxRows) || maxRows < 1) {
      throw new RangeError(`maxRows must be a positive integer, got ${maxRows}`);
    }
  }

  /** Still taking purchases: neither broken nor ended. */
  get live(): boolean {
    return this.reason === null && !this.ended;
  }

  /** A complete purchase, exactly as the finished report will hold it, in report order. */
  purchase(p: Purchase): void {
    if (!this.live) return;
    const key = naturalKeyOf(p);
    if (key !== null) {
      this.break(key);
      return;
    }
    const n = p.items.length;
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
    const chunk: PurchaseChunk = { chunkNo: this.chunks, rows: this.size, purchases: this.pending };
    this.pending = [];
    this.size = 0;
    this.chunks++;
    this.rows += chunk.rows;
    this.options.onChunk(chunk);
  }
}

/** Why a purchase cannot be staged before the reference check, or null. */
function naturalKeyOf(p: Purchase): string | null {
  if (userKeyOf(p.userId) !== null) {
    return `transaction "${p.transactionNumber}": a member named by e-mail (its id comes from the reference check)`;
  }
  for (const item of p.items) {
    if (skuKeyOf(item.skuId) !== null) {
      return `row ${item.row}: a SKU named by code (its id comes from the reference check)`;
    }
  }
  return null;
}
