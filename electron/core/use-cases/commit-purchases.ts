import {
  commitImport,
  CommitCancelledError,
  type CommitImportHooks,
  type CommitImportInput,
} from '../../../shared/db/commit-import';
import type { ImportRpc } from '../../../shared/db/import-rpc';
import type { BatchDetail } from '../../../shared/db/rpc-contract';

export type CommitOutcome =
  | { kind: 'batch'; batch: BatchDetail }
  | {
      kind: 'cancelled';
      /** The cancelled batch as History shows it (null: none was begun, or it cannot be read). */
      batch: BatchDetail | null;
      /** False when the batch could not be marked cancelled (it then stays pending). */
      batchCancelled: boolean;
      message: string;
    };

/**
 * Commits purchases as one batch (begin → stage → commit, see commit-import.ts). A cancel before
 * the commit step is an outcome, not an error: the batch it leaves behind is read back so the
 * user can find it in History.
 */
export async function commitPurchases(
  rpc: ImportRpc,
  input: CommitImportInput,
  hooks: CommitImportHooks = {},
): Promise<CommitOutcome> {
  try {
    return { kind: 'batch', batch: await commitImport(rpc, input, hooks) };
  } catch (error) {
    if (!(error instanceof CommitCancelledError)) throw error;
    const batch = error.batchId
      ? await rpc.call('import_get_batch', { p_batch_id: error.batchId }).catch(() => null)
      : null;
    return {
      kind: 'cancelled',
      batch,
      batchCancelled: error.batchCancelled,
      message: error.message,
    };
  }
}
