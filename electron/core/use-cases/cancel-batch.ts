import type { ImportRpc } from '../../../shared/db/import-rpc';
import type { BatchDetail } from '../../../shared/db/rpc-contract';

/**
 * Cancels a pending batch that no import will finish: an open batch left behind by a crash or a
 * lost connection (the one-day sweep never takes one of more than 1M rows, nor one whose user does
 * not import again), or one whose staging stopped part way. Its staged rows are dropped and it
 * never imports. A batch that completed or failed meanwhile is answered as it is: the database
 * lets a commit running at that moment finish first, and never cancels a settled batch.
 */
export async function cancelBatch(rpc: ImportRpc, batchId: string): Promise<BatchDetail> {
  await rpc.call('import_cancel_batch', { p_batch_id: batchId });
  return rpc.call('import_get_batch', { p_batch_id: batchId });
}
