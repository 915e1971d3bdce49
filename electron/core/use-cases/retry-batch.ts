import { commitOrReconcile } from '../../../shared/db/commit-import';
import type { ImportRpc } from '../../../shared/db/import-rpc';
import type { BatchDetail } from '../../../shared/db/rpc-contract';

/**
 * Retries a failed (or interrupted) batch from its staged rows. A completed batch is answered as
 * it is and never committed again; a cancelled one is refused by the database.
 */
export async function retryBatch(rpc: ImportRpc, batchId: string): Promise<BatchDetail> {
  const batch = await rpc.call('import_get_batch', { p_batch_id: batchId });
  if (batch.status === 'completed') return batch;
  return commitOrReconcile(rpc, batchId);
}
