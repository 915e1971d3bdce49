import {
  CommitCancelledError,
  commitOrReconcile,
  type CommitProgress,
} from '../../../shared/db/commit-import';
import type { ImportRpc } from '../../../shared/db/import-rpc';
import type { BatchDetail } from '../../../shared/db/rpc-contract';
import type { StreamedStaging } from '../../../shared/db/streamed-staging';
import { PurchaseList } from '../../../shared/domain/purchase-list';
import type { Purchase } from '../../../shared/domain/types';
import type { StreamEnd } from '../parse/parse-file';

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
  /** Cancelled before the commit call: the open batch was discarded (or stays open, refused). */
  | { kind: 'cancelled'; message: string }
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
    staging.started &&
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
    // A chunk refused (the usual path meets the refusal again, and reports it as it always has),
    // or a seal refused: what is staged is not the file.
    return { kind: 'fell-back', discarded: await staging.discard() };
  }
  if (hooks.signal?.aborted) {
    const discarded = await staging.discard();
    return {
      kind: 'cancelled',
      message: new CommitCancelledError(discarded ? null : batchId, false).message,
    };
  }
  report({ phase: 'committing', batchId });
  const batch = await commitOrReconcile(rpc, batchId, undefined, undefined, () =>
    report({ phase: 'reconciling' }),
  );
  report({ phase: 'done' });
  return { kind: 'batch', batch };
}
