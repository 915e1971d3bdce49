import type { ImportRpc } from '../../../shared/db/import-rpc';
import type {
  BatchDetail,
  BatchOverview,
  BatchPage,
  BatchStatus,
  ErrorPage,
  RemoteRowError,
} from '../../../shared/db/rpc-contract';

// A merchant's batches as the database records them: the list, one batch with a page of its row
// errors, the errors a page at a time, and the overview of recent days.

export interface BatchListQuery {
  merchantId: string;
  status: BatchStatus | null;
  search: string | null;
  limit: number;
  offset: number;
}

export function listBatches(rpc: ImportRpc, query: BatchListQuery): Promise<BatchPage> {
  return rpc.call('import_list_batches', {
    p_merchant_id: query.merchantId,
    p_status: query.status,
    p_search: query.search || null,
    p_limit: query.limit,
    p_offset: query.offset,
  });
}

/** One batch with a page of its row errors (without a page: the database's default, 50 from 0). */
export function getBatch(
  rpc: ImportRpc,
  batchId: string,
  page?: { errorsLimit: number; errorsOffset: number },
): Promise<BatchDetail> {
  return rpc.call('import_get_batch', {
    p_batch_id: batchId,
    ...(page ? { p_errors_limit: page.errorsLimit, p_errors_offset: page.errorsOffset } : {}),
  });
}

export interface BatchErrorQuery {
  batchId: string;
  code: string | null;
  value: string | null;
  after: { row: number; column: string } | null;
  limit: number;
}

/** A page of a batch's row errors in row order, after a (row, column) key (keyset paging). */
export function listBatchErrors(rpc: ImportRpc, query: BatchErrorQuery): Promise<ErrorPage> {
  return rpc.call('import_list_batch_errors', {
    p_batch_id: query.batchId,
    p_code: query.code,
    p_value: query.value,
    p_after_row: query.after?.row ?? null,
    p_after_column: query.after?.column ?? null,
    p_limit: query.limit,
  });
}

/** Every recorded row error of a batch, in row order, read a page at a time. */
export async function* batchErrors(
  rpc: ImportRpc,
  batchId: string,
  pageSize = 5_000,
): AsyncGenerator<RemoteRowError> {
  let after: ErrorPage['next'] = null;
  do {
    const page: ErrorPage = await listBatchErrors(rpc, {
      batchId,
      code: null,
      value: null,
      after,
      limit: pageSize,
    });
    yield* page.errors;
    after = page.next;
  } while (after);
}

export function batchOverview(
  rpc: ImportRpc,
  merchantId: string,
  days: number,
): Promise<BatchOverview> {
  return rpc.call('import_batch_overview', { p_merchant_id: merchantId, p_days: days });
}
