import {
  abandonBatch,
  CommitCancelledError,
  commitOrReconcile,
  DEFAULT_RETRY,
  defaultSleep,
  type CommitProgress,
} from '../../../shared/db/commit-import';
import type { ImportRpc } from '../../../shared/db/import-rpc';
import type { BatchDetail } from '../../../shared/db/rpc-contract';
import type { StreamedStaging } from '../../../shared/db/streamed-staging';
import { PurchaseList } from '../../../shared/domain/purchase-list';
import type { Purchase } from '../../../shared/domain/types';
import type { StreamEnd } from '../parse/parse-file';
import { untilAborted } from '../run-sliced';

// The end of an import staged while its file was read (issue 14), for both doors: the command
// line's importFile, and the app's Import of a file staged while its admin reviewed it.

/** What the file turned out to be, against which the staged chunks are weighed. */
export interface StreamedFile {
  /** What the parse said of the chunks it handed out. */
  stream: StreamEnd | undefined;
  /** Purchases the parse read, and those to import (the same unless some were left out). */
  readPurchases: number;
  purchases: Purchase[] | PurchaseList;
  fileSha256: string | null;
  /** The batch's name when known only now (the app's Import); left out, begin's stays. */
  name?: string | null;
}

export type StreamedCommit =
  | { kind: 'batch'; batch: BatchDetail }
  /**
   * Cancelled before the commit call: nothing more is sent, and the batch is marked cancelled
   * (History keeps it, as it keeps any cancelled import); batch null if none was begun.
   */
  | { kind: 'cancelled'; batch: BatchDetail | null; message: string }
  /** What is staged does not stand for these purchases: discarded; import the usual way. */
  | { kind: 'fell-back'; discarded: boolean };

/**
 * Seals and commits what was staged while the file was read, when it stands for exactly the
 * purchases to import; otherwise discards it ('fell-back').
 */
export async function commitStreamed(
  rpc: ImportRpc,
  staging: StreamedStaging,
  file: StreamedFile,
  hooks: { onCommitProgress?: (progress: CommitProgress) => void; signal?: AbortSignal } = {},
): Promise<StreamedCommit> {
  const { stream, purchases } = file;
  let rows = 0;
  if (purchases instanceof PurchaseList) {
    for (let i = 0; i < purchases.length; i++) rows += purchases.itemCount(i);
  } else {
    for (const purchase of purchases) rows += purchase.items.length;
  }
  const whole =
    stream !== undefined &&
    stream.broken === null &&
    staging.hasChunks &&
    stream.rows === rows &&
    stream.chunks === staging.pushed &&
    purchases.length === file.readPurchases;
  if (!whole) return { kind: 'fell-back', discarded: await staging.discard() };

  const progress: CommitProgress = {
    phase: 'staging',
    batchId: staging.id,
    chunksSent: staging.state.chunksStaged,
    chunks: stream.chunks,
    rowsStaged: staging.state.rowsStaged,
    totalRows: rows,
  };
  const report = (patch: Partial<CommitProgress>): void => {
    Object.assign(progress, patch);
    hooks.onCommitProgress?.({ ...progress });
  };
  report({});
  staging.onStaged = (state) =>
    report({ batchId: staging.id, chunksSent: state.chunksStaged, rowsStaged: state.rowsStaged });
  const signal = hooks.signal;
  // Cancel is answered while chunks are still being sent (a slow link may be far behind the
  // parse), not once they all are.
  const flush = staging.flush();
  const flushed = await (signal ? untilAborted(flush, signal) : flush).then(
    () => 'staged' as const,
    () => (signal?.aborted ? ('cancelled' as const) : ('refused' as const)),
  );
  if (flushed === 'cancelled') return cancel(rpc, staging);
  // A chunk refused: the usual path meets the refusal again, and reports it as it always has.
  if (flushed === 'refused') return { kind: 'fell-back', discarded: await staging.discard() };
  let batchId: string;
  try {
    const sealed = await staging.seal({
      totalRows: rows,
      chunkCount: stream.chunks,
      fileSha256: file.fileSha256,
      ...(file.name ? { name: file.name } : {}),
    });
    batchId = sealed.id;
  } catch {
    // The seal refused: what is staged is not the file.
    return { kind: 'fell-back', discarded: await staging.discard() };
  }
  if (signal?.aborted) return cancel(rpc, staging);
  report({ phase: 'committing', batchId });
  const batch = await commitOrReconcile(rpc, batchId, undefined, undefined, () =>
    report({ phase: 'reconciling' }),
  );
  report({ phase: 'done' });
  return { kind: 'batch', batch };
}

/** Stops sending and marks the batch cancelled, as a cancelled import of the usual path is. */
async function cancel(rpc: ImportRpc, staging: StreamedStaging): Promise<StreamedCommit> {
  await staging.stop();
  const batchId = staging.id;
  if (batchId === null) {
    return { kind: 'cancelled', batch: null, message: new CommitCancelledError(null).message };
  }
  let error: CommitCancelledError;
  try {
    // The database may answer that the batch completed (a resent commit got there first).
    const completed = await abandonBatch(rpc, batchId, DEFAULT_RETRY, defaultSleep);
    if (completed) return { kind: 'batch', batch: completed };
    error = new CommitCancelledError(batchId, true);
  } catch (refused) {
    if (!(refused instanceof CommitCancelledError)) throw refused;
    error = refused;
  }
  const batch = await rpc.call('import_get_batch', { p_batch_id: batchId }).catch(() => null);
  return { kind: 'cancelled', batch, message: error.message };
}
