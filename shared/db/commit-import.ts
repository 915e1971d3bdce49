import { PurchaseList, type PurchaseChunks } from '../domain/purchase-list';
import type { Purchase } from '../domain/types';
import type { ImportRpc } from './import-rpc';
import type { AuditTrail, BatchDetail } from './rpc-contract';
import { RpcError } from './rpc-transport';
import type { ResolvedKeys } from '../domain/natural-keys';
import { toStagedChunk } from './staging';

// Sends grouped purchases to the database as one batch: begin → stage chunks of whole purchases →
// commit. Every step is safe to resend (idempotency key, chunk numbers, commit of a committed
// batch is a no-op), so a dropped connection is answered by resending or by reading the batch
// back — never by guessing. Success is reported only when the database said `completed`.

/** 5,000 rows keep each staging call well under a second and its body near 0.5 MB (measured). */
export const DEFAULT_CHUNK_ROWS = 5_000;

export type CommitPhase = 'beginning' | 'staging' | 'committing' | 'reconciling' | 'done';

export interface CommitProgress {
  phase: CommitPhase;
  batchId: string | null;
  chunksSent: number;
  chunks: number;
  rowsStaged: number;
  totalRows: number;
}

export interface CommitImportInput {
  merchantId: string;
  name: string | null;
  fileName: string | null;
  fileSha256: string | null;
  /** Objects, or packed (the app's session, issue 18): a chunk's purchases are made as it is sent. */
  purchases: readonly Purchase[] | PurchaseList;
  /** One per import attempt; a resumed attempt passes the same key to find its batch again. */
  idempotencyKey: string;
  chunkRows?: number;
  /** Chunks in flight at once (default 2). */
  stageConcurrency?: number;
  /** What the admin changed before importing, stored with the batch (none: imported as is). */
  audit?: AuditTrail | null;
  /** Natural keys as the preview resolved them (natural-keys.ts resolvedKeys); see toStagedChunk. */
  keys?: ResolvedKeys;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
}

export interface CommitImportHooks {
  onProgress?: (progress: CommitProgress) => void;
  /** Honoured until the commit call starts; after that the outcome belongs to the database. */
  signal?: AbortSignal;
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
}

export class CommitCancelledError extends Error {
  constructor(
    readonly batchId: string | null,
    /** False when the batch could not be marked cancelled (it then stays pending). */
    readonly batchCancelled = batchId !== null,
  ) {
    super(
      batchId === null
        ? 'The import was cancelled before the commit step; nothing was imported.'
        : batchCancelled
          ? `The import was cancelled before the commit step; nothing was imported (batch ${batchId} is marked cancelled).`
          : `The import was cancelled before the commit step; nothing was imported, but batch ${batchId} could not be marked cancelled and stays pending in History.`,
    );
    this.name = 'CommitCancelledError';
  }
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 250 };

export async function commitImport(
  rpc: ImportRpc,
  input: CommitImportInput,
  hooks: CommitImportHooks = {},
): Promise<BatchDetail> {
  const retry = hooks.retry ?? DEFAULT_RETRY;
  const sleep = hooks.sleep ?? defaultSleep;
  const list =
    input.purchases instanceof PurchaseList
      ? input.purchases
      : PurchaseList.fromArray(input.purchases);
  // Cut on a later turn (issue 18): cutting and counting 285k purchases in one turn held the
  // app's main thread ~0.1 s while this code was still cold (bench:ui's CPU profile).
  await defaultSleep(0);
  const chunks = list.chunks(input.chunkRows ?? DEFAULT_CHUNK_ROWS);
  const totalRows = chunks.rows;
  const progress: CommitProgress = {
    phase: 'beginning',
    batchId: null,
    chunksSent: 0,
    chunks: chunks.length,
    rowsStaged: 0,
    totalRows,
  };
  const report = (patch: Partial<CommitProgress>): void => {
    Object.assign(progress, patch);
    hooks.onProgress?.({ ...progress });
  };
  const throwIfCancelled = (): void => {
    if (hooks.signal?.aborted) throw new CommitCancelledError(progress.batchId);
  };

  throwIfCancelled();
  report({ phase: 'beginning' });
  const batch = await withRetry(retry, sleep, () =>
    rpc.call('import_begin_batch', {
      p_merchant_id: input.merchantId,
      p_idempotency_key: input.idempotencyKey,
      p_name: input.name,
      p_file_name: input.fileName,
      p_file_sha256: input.fileSha256,
      p_total_rows: totalRows,
      p_chunk_count: chunks.length,
      ...(input.audit ? { p_audit: input.audit } : {}),
    }),
  );
  report({ batchId: batch.id });
  if (batch.status === 'completed') {
    // This attempt already landed (a resumed run): report what the database holds.
    report({ phase: 'done', rowsStaged: totalRows, chunksSent: chunks.length });
    return withRetry(retry, sleep, () => rpc.call('import_get_batch', { p_batch_id: batch.id }));
  }
  // This attempt's key belongs to a batch cancelled earlier: it stays cancelled.
  if (batch.status === 'cancelled') throw new CommitCancelledError(batch.id, true);

  try {
    throwIfCancelled();
    if (batch.stagedRows < totalRows) {
      report({ phase: 'staging' });
      await stageChunks(rpc, batch.id, chunks, input.stageConcurrency ?? 2, {
        retry,
        sleep,
        stop: () => hooks.signal?.aborted ?? false,
        ...(input.keys ? { keys: input.keys } : {}),
        staged: (stagedRows) =>
          report({
            chunksSent: progress.chunksSent + 1,
            rowsStaged: Math.max(progress.rowsStaged, stagedRows),
          }),
      });
    } else {
      report({ chunksSent: chunks.length, rowsStaged: batch.stagedRows });
    }
    throwIfCancelled();
    // The key names a batch begun open (staged while its file was read: streamed-staging.ts)
    // whose attempt did not get to seal it: these chunks are the file's, so seal it with them.
    if (batch.open === true) {
      await withRetry(retry, sleep, () =>
        rpc.call('import_seal_batch', {
          p_batch_id: batch.id,
          p_total_rows: totalRows,
          p_chunk_count: chunks.length,
          p_file_sha256: input.fileSha256,
        }),
      );
    }
  } catch (error) {
    if (!hooks.signal?.aborted) throw error;
    // Cancelled: the batch must not stay pending with its rows staged, or History would offer to
    // commit what the user abandoned. The database may answer that the batch already completed
    // (an earlier attempt with this key got there first): then that is the outcome.
    const abandoned = await abandonBatch(rpc, batch.id, retry, sleep);
    if (abandoned) return abandoned;
    throw new CommitCancelledError(batch.id, true);
  }

  report({ phase: 'committing' });
  const result = await commitOrReconcile(rpc, batch.id, retry, sleep, () =>
    report({ phase: 'reconciling' }),
  );
  report({ phase: 'done' });
  return result;
}

/**
 * Commits, and when the answer is lost (connection dropped, statement timed out), reads the batch
 * back: completed or failed is the answer; still pending means the commit rolled back, so it is
 * safe to commit again (the database locks the batch and re-checks before inserting).
 *
 * A statement timeout is tried twice only: a commit too big for the server's time limit times out
 * every time, and six attempts at 8 s each would keep the user waiting for nothing.
 */
export async function commitOrReconcile(
  rpc: ImportRpc,
  batchId: string,
  retry: RetryPolicy = DEFAULT_RETRY,
  sleep: (ms: number) => Promise<void> = defaultSleep,
  onReconcile: () => void = () => undefined,
): Promise<BatchDetail> {
  let timeouts = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await rpc.call('import_commit_batch', { p_batch_id: batchId });
    } catch (error) {
      if (!isLostAnswer(error) || attempt >= retry.attempts) throw error;
      onReconcile();
      await sleep(backoff(retry, attempt));
      const state = await withRetry(retry, sleep, () =>
        rpc.call('import_get_batch', { p_batch_id: batchId }),
      );
      if (state.status === 'completed' || state.status === 'failed') return state;
      if (error instanceof RpcError && error.kind === 'timeout' && ++timeouts >= MAX_TIMEOUTS) {
        throw new CommitTimeoutError(batchId, state.stagedRows, error);
      }
    }
  }
}

const MAX_TIMEOUTS = 2;

/** The commit outlasted the database's statement time limit every time; it rolled back. */
export class CommitTimeoutError extends RpcError {
  readonly batchId: string;

  constructor(batchId: string, rows: number, cause: RpcError) {
    super(
      'timeout',
      `The database stopped the commit of batch ${batchId} (${rows} rows) twice at its time limit for one statement and rolled it back: nothing was imported, and the batch stays pending in History. ` +
        'Commit it again when the database is less busy, or raise the statement timeout of the role that imports (see the README, "Supabase"), or import the file in parts.',
      { code: cause.code, cause },
    );
    this.name = 'CommitTimeoutError';
    this.batchId = batchId;
  }
}

interface StageHooks {
  retry: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  /** Asked before each chunk: true stops sending (chunks in flight still finish). */
  stop: () => boolean;
  staged: (stagedRows: number) => void;
  keys?: ResolvedKeys;
}

/**
 * Sends the chunks with a few in flight: that keeps the server's cores busy while each body
 * travels, and every chunk is idempotent, so the order they land in does not matter. Returns only
 * once no call is in flight, so whoever acts next (commit, cancel) is not overtaken by a chunk.
 */
async function stageChunks(
  rpc: ImportRpc,
  batchId: string,
  chunks: PurchaseChunks,
  concurrency: number,
  hooks: StageHooks,
): Promise<void> {
  let next = 0;
  let failed = false;
  const sender = async (): Promise<void> => {
    while (next < chunks.length && !failed && !hooks.stop()) {
      const index = next++;
      const chunk = chunks.at(index);
      try {
        const staged = await withRetry(hooks.retry, hooks.sleep, () =>
          rpc.call('import_stage_chunk', {
            p_batch_id: batchId,
            p_chunk_no: index,
            p_rows: toStagedChunk(chunk, hooks.keys),
          }),
        );
        hooks.staged(staged.stagedRows);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const senders = Math.max(1, Math.min(concurrency, chunks.length));
  const results = await Promise.allSettled(Array.from({ length: senders }, sender));
  const refusal = results.find((result) => result.status === 'rejected');
  if (refusal) throw refusal.reason;
}

/** Marks a batch cancelled; returns its detail instead when the database says it completed. */
export async function abandonBatch(
  rpc: ImportRpc,
  batchId: string,
  retry: RetryPolicy,
  sleep: (ms: number) => Promise<void>,
): Promise<BatchDetail | null> {
  let status: string;
  try {
    const summary = await withRetry(retry, sleep, () =>
      rpc.call('import_cancel_batch', { p_batch_id: batchId }),
    );
    status = summary.status;
  } catch {
    throw new CommitCancelledError(batchId, false);
  }
  if (status !== 'completed') return null;
  return withRetry(retry, sleep, () => rpc.call('import_get_batch', { p_batch_id: batchId }));
}

/** Resends a call whose answer was lost (never one the database refused). */
export async function withRetry<T>(
  retry: RetryPolicy,
  sleep: (ms: number) => Promise<void>,
  call: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      // Only a lost answer is worth resending; a refusal will be refused again.
      if (!(error instanceof RpcError) || error.kind !== 'unreachable') throw error;
      if (attempt >= retry.attempts) throw error;
      await sleep(backoff(retry, attempt));
    }
  }
}

function isLostAnswer(error: unknown): boolean {
  return error instanceof RpcError && (error.kind === 'unreachable' || error.kind === 'timeout');
}

function backoff(retry: RetryPolicy, attempt: number): number {
  return retry.baseDelayMs * 2 ** (attempt - 1);
}

export function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
