import { DEFAULT_RETRY, defaultSleep, withRetry, type RetryPolicy } from './commit-import';
import type { ImportRpc } from './import-rpc';
import type { BatchSummary, StagedChunk } from './rpc-contract';

// Staging while the file is still being read (issue 14): the parse worker hands out chunks of
// whole purchases as it reads (electron/core/parse, streamChunkRows), and each is staged as it
// comes, into an open batch: one begun without totals (sql/schema/05_batch_lifecycle.sql). The
// batch is sealed with the file's totals and hash once the file is read and found importable, and
// only then committed; a file refused on its own rows discards the batch, leaving nothing behind.
// A chunk the database refuses stops the sending: the caller discards and imports the usual way,
// which meets the same refusal where it always did.

/** A chunk as the parse worker hands it out: numbered from 0 in file order, no gaps. */
export interface OpenChunk {
  chunkNo: number;
  rows: number;
  body: StagedChunk;
}

export interface OpenBatchInput {
  merchantId: string;
  name: string | null;
  fileName: string | null;
  idempotencyKey: string;
  /** Chunks in flight at once (default 2, as commitImport). */
  concurrency?: number;
  /**
   * Hold the chunks (nothing is begun or sent) until resume(): the app reads a file for its
   * admin first, and stages it only once it has opened and can be imported as read.
   */
  paused?: boolean;
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
}

export interface StagingState {
  /** Chunks staged (answered) so far, and their rows. */
  chunksStaged: number;
  rowsStaged: number;
}

export class StreamedStaging {
  private readonly queue: OpenChunk[] = [];
  private begun: Promise<BatchSummary> | null = null;
  private batchId: string | null = null;
  private inFlight = 0;
  private stopped = false;
  private paused: boolean;
  private failure: unknown = null;
  private readonly idle = new Set<() => void>();
  readonly state: StagingState = { chunksStaged: 0, rowsStaged: 0 };
  /** Chunks handed in, whether sent or dropped after a stop. */
  pushed = 0;
  /** Called after each staged chunk (for progress). */
  onStaged: (state: StagingState) => void = () => undefined;

  constructor(
    private readonly rpc: ImportRpc,
    private readonly input: OpenBatchInput,
  ) {
    this.paused = input.paused ?? false;
  }

  /** Whether there is anything to seal: a batch begun, or chunks held for one. */
  get hasChunks(): boolean {
    return this.begun !== null || this.queue.length > 0;
  }

  /** The first refusal or lost answer that stopped the sending, if any. */
  get error(): unknown {
    return this.failure;
  }

  /** Queues a chunk; the first one begins the open batch. Chunks after a stop are dropped. */
  push(chunk: OpenChunk): void {
    this.pushed++;
    if (this.stopped) return;
    this.queue.push(chunk);
    this.send();
  }

  /** Starts sending what is held (paused: true), and what comes after. */
  resume(): void {
    this.paused = false;
    this.send();
  }

  /**
   * Waits until every chunk pushed so far is staged (sending what is held); throws what stopped
   * the sending.
   */
  async flush(): Promise<void> {
    this.resume();
    await this.settled();
    if (this.failure !== null) throw this.failure;
  }

  /**
   * Gives the batch its totals and the file's hash: the database checks they are exactly what was
   * staged, so a chunk lost on the way is refused here, not committed short.
   */
  async seal(totals: {
    totalRows: number;
    chunkCount: number;
    fileSha256: string | null;
    /** The batch's name when it was not known at begin (the app's Import); left out: kept. */
    name?: string | null;
  }): Promise<BatchSummary> {
    await this.flush();
    const batchId = this.batchId;
    if (batchId === null) throw new Error('seal before any chunk was staged');
    return withRetry(this.retry, this.sleep, () =>
      this.rpc.call('import_seal_batch', {
        p_batch_id: batchId,
        p_total_rows: totals.totalRows,
        p_chunk_count: totals.chunkCount,
        p_file_sha256: totals.fileSha256,
        ...(totals.name ? { p_name: totals.name } : {}),
      }),
    );
  }

  /** Stops sending (chunks not yet sent are dropped) and waits until no call is in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    await this.settled();
  }

  /** Once the begin (if any) has answered and no chunk call is in flight. */
  private async settled(): Promise<void> {
    if (this.begun) await this.begun.catch(() => undefined);
    await this.quiet();
  }

  /**
   * Stops sending and deletes the open batch with what it staged, once no call is in flight (so
   * no chunk lands after it). Returns whether the batch is gone (or never was).
   */
  async discard(): Promise<boolean> {
    await this.stop();
    const batchId = this.batchId;
    if (batchId === null) return true;
    try {
      await withRetry(this.retry, this.sleep, () =>
        this.rpc.call('import_discard_batch', { p_batch_id: batchId }),
      );
      return true;
    } catch {
      // Left open and pending: the commit refuses it, History shows it and cancel works on it.
      return false;
    }
  }

  /** The batch's id once begun. */
  get id(): string | null {
    return this.batchId;
  }

  private get retry(): RetryPolicy {
    return this.input.retry ?? DEFAULT_RETRY;
  }

  private get sleep(): (ms: number) => Promise<void> {
    return this.input.sleep ?? defaultSleep;
  }

  private async begin(): Promise<BatchSummary> {
    this.inFlight++;
    try {
      const batch = await withRetry(this.retry, this.sleep, () =>
        this.rpc.call('import_begin_batch', {
          p_merchant_id: this.input.merchantId,
          p_idempotency_key: this.input.idempotencyKey,
          p_name: this.input.name,
          p_file_name: this.input.fileName,
          p_file_sha256: null,
          p_total_rows: null,
          p_chunk_count: null,
        }),
      );
      this.batchId = batch.id;
      // The key named a batch that is no longer open and pending (a resend after its seal, or an
      // attempt that ended): staging into it is not this attempt's to do.
      if (batch.status !== 'pending' || batch.open !== true) {
        this.fail(new Error(`batch ${batch.id} is ${batch.status}, not open`));
      }
      return batch;
    } catch (error) {
      this.fail(error);
      throw error;
    } finally {
      this.inFlight--;
      this.pump();
    }
  }

  /** The first chunk sent begins the open batch. */
  private send(): void {
    if (this.paused || this.stopped || this.queue.length === 0) return;
    if (this.begun === null) {
      this.begun = this.begin();
      // A refused begin is recorded (fail) and thrown by flush and seal; until one is asked, the
      // rejection must not go unhandled (the process would end on it).
      this.begun.catch(() => undefined);
    }
    this.pump();
  }

  private pump(): void {
    const concurrency = Math.max(1, this.input.concurrency ?? 2);
    while (
      this.batchId !== null &&
      !this.stopped &&
      !this.paused &&
      this.inFlight < concurrency &&
      this.queue.length > 0
    ) {
      const chunk = this.queue.shift() as OpenChunk;
      this.inFlight++;
      void this.stage(this.batchId, chunk);
    }
    if (this.inFlight === 0 && (this.queue.length === 0 || this.stopped)) {
      for (const resolve of this.idle) resolve();
      this.idle.clear();
    }
  }

  private async stage(batchId: string, chunk: OpenChunk): Promise<void> {
    try {
      await withRetry(this.retry, this.sleep, () =>
        this.rpc.call('import_stage_chunk', {
          p_batch_id: batchId,
          p_chunk_no: chunk.chunkNo,
          p_rows: chunk.body,
        }),
      );
      this.state.chunksStaged++;
      this.state.rowsStaged += chunk.rows;
      this.onStaged({ ...this.state });
    } catch (error) {
      this.fail(error);
    } finally {
      this.inFlight--;
      this.pump();
    }
  }

  private fail(error: unknown): void {
    if (this.failure === null) this.failure = error;
    this.stopped = true;
    this.queue.length = 0;
  }

  /** Resolves once nothing is in flight and nothing more will be sent. */
  private quiet(): Promise<void> {
    if (this.inFlight === 0 && (this.queue.length === 0 || this.stopped)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.idle.add(resolve));
  }
}
