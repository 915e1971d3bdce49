import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { ImportRpc } from '../../shared/db/import-rpc';
import type { BatchDetail } from '../../shared/db/rpc-contract';
import type { SeededMerchant } from './seed';

// A large batch exported for the wrong merchant, made fast: its rows are written straight into
// staging by SQL (generate_series) rather than sent in chunks, then committed through the real
// commit, which refuses it: every row carries one of `skus` SKU ids the merchant does not have.

export interface WrongMerchantBatch {
  batchId: string;
  /** The SKU ids every row uses, none of them the merchant's. */
  unknownSkuIds: string[];
  failed: BatchDetail;
  stageMs: number;
  commitMs: number;
}

export async function stageWrongMerchantBatch(
  pool: pg.Pool,
  rpc: ImportRpc,
  merchant: SeededMerchant,
  options: { rows: number; skus?: number; itemsPerPurchase?: number },
): Promise<WrongMerchantBatch> {
  const skuCount = options.skus ?? 20;
  const items = options.itemsPerPurchase ?? 4;
  const unknownSkuIds = Array.from({ length: skuCount }, () => randomUUID()).sort();
  const begun = await rpc.call('import_begin_batch', {
    p_merchant_id: merchant.merchantId,
    p_idempotency_key: randomUUID(),
    p_name: 'exported for the wrong merchant',
    p_file_name: 'wrong-merchant.csv',
    p_file_sha256: null,
    p_total_rows: options.rows,
    p_chunk_count: 1,
  });
  const started = performance.now();
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(
      `insert into public.bulk_import_staged_chunks
         (batch_id, chunk_no, row_count, payload_sha256, errors)
       values ($1, 0, $2, 'generated', '[]')`,
      [begun.id, options.rows],
    );
    // Row g (from 2, the first data row) is line (g - 2) % items + 1 of purchase (g - 2) / items.
    await client.query(
      `insert into public.bulk_import_staged_rows (
         batch_id, chunk_no, row_number, transaction_number, user_id, purchased_at, sku_id,
         quantity, unit_price, currency, purchase_id, item_id, line_number, items_sum)
       select $1, 0, g, 'WM-' || ((g - 2) / $3), ($4::uuid[])[1 + ((g - 2) / $3) % cardinality($4)],
         timestamptz '2026-11-01 10:00Z', ($5::uuid[])[1 + (g - 2) % cardinality($5)], 1, 2.50,
         'EUR', gen_random_uuid(), gen_random_uuid(), 1 + (g - 2) % $3,
         case when (g - 2) % $3 = 0 then 2.50 * $3 end
       from generate_series(2, $2 + 1) as g`,
      [begun.id, options.rows, items, merchant.userIds, unknownSkuIds],
    );
    await client.query('update public.bulk_import_batches set staged_rows = $2 where id = $1', [
      begun.id,
      options.rows,
    ]);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
  const stageMs = performance.now() - started;
  const committing = performance.now();
  const failed = await rpc.call('import_commit_batch', { p_batch_id: begun.id });
  return {
    batchId: begun.id,
    unknownSkuIds,
    failed,
    stageMs,
    commitMs: performance.now() - committing,
  };
}
