import type { ImportRpc } from '../../../shared/db/import-rpc';
import type { RecheckResult } from '../../../shared/db/rpc-contract';

/** Today's verdict on a batch's staged rows: by cause, with one page of row errors. */
export function recheckBatch(
  rpc: ImportRpc,
  batchId: string,
  page: { limit: number; offset: number } = { limit: 50, offset: 0 },
): Promise<RecheckResult> {
  return rpc.call('import_recheck_batch', {
    p_batch_id: batchId,
    p_errors_limit: page.limit,
    p_errors_offset: page.offset,
  });
}
