import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RpcError } from '../../shared/db/rpc-transport';
import {
  beginAndStage,
  buildRows,
  chunkRows,
  countImported,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';

let db: TestDb;
let merchant: SeededMerchant;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 20, skus: 30 });
});
afterAll(async () => {
  await db.close();
});

async function refusal(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
  throw new Error('expected the call to be refused');
}

describe('import_begin_batch', () => {
  it('returns the same pending batch for a resent idempotency key', async () => {
    const args = {
      p_merchant_id: merchant.merchantId,
      p_idempotency_key: randomUUID(),
      p_name: 'March',
      p_file_name: 'march.csv',
      p_file_sha256: 'a'.repeat(64),
      p_total_rows: 12,
      p_chunk_count: 2,
    };
    const first = await db.rpc.call('import_begin_batch', args);
    const second = await db.rpc.call('import_begin_batch', args);
    expect(second).toEqual(first);
    expect(first).toMatchObject({
      merchantId: merchant.merchantId,
      name: 'March',
      status: 'pending',
      fileName: 'march.csv',
      fileSha256: 'a'.repeat(64),
      totalRows: 12,
      stagedRows: 0,
      importedPurchases: 0,
      importedItems: 0,
      errorMessage: null,
      errorCount: 0,
      createdBy: 'postgres',
      completedAt: null,
    });
    expect(first.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(first.startedAt).not.toBeNull();
    const count = await db.pool.query<{ n: number }>(
      'select count(*)::int as n from public.bulk_import_batches where idempotency_key = $1',
      [args.p_idempotency_key],
    );
    expect(count.rows[0]?.n).toBe(1);

    const reused = await refusal(
      db.rpc.call('import_begin_batch', {
        ...args,
        p_total_rows: 13,
        p_file_sha256: 'b'.repeat(64),
      }),
    );
    expect(reused.kind).toBe('refused');
    expect(reused.message).toContain('different file');
  });

  it('refuses an unknown merchant with no_data_found', async () => {
    const error = await refusal(
      db.rpc.call('import_begin_batch', {
        p_merchant_id: randomUUID(),
        p_idempotency_key: randomUUID(),
        p_name: null,
        p_file_name: null,
        p_file_sha256: null,
        p_total_rows: 1,
        p_chunk_count: 1,
      }),
    );
    expect(error.code).toBe('P0002');
  });
});

describe('import_stage_chunk', () => {
  it('treats a resent chunk as a no-op and refuses other rows under the same number', async () => {
    const rows = buildRows(merchant, { purchases: 4, itemsPerPurchase: 2 });
    const chunks = chunkRows(rows, 4);
    expect(chunks).toHaveLength(2);
    const batch = await db.rpc.call('import_begin_batch', {
      p_merchant_id: merchant.merchantId,
      p_idempotency_key: randomUUID(),
      p_name: null,
      p_file_name: 'resend.csv',
      p_file_sha256: null,
      p_total_rows: rows.length,
      p_chunk_count: 2,
    });
    const first = await db.rpc.call('import_stage_chunk', {
      p_batch_id: batch.id,
      p_chunk_no: 0,
      p_rows: chunks[0] ?? [],
    });
    expect(first).toEqual({
      batchId: batch.id,
      chunkNo: 0,
      rowCount: 4,
      duplicate: false,
      stagedRows: 4,
    });
    const again = await db.rpc.call('import_stage_chunk', {
      p_batch_id: batch.id,
      p_chunk_no: 0,
      p_rows: chunks[0] ?? [],
    });
    expect(again).toEqual({
      batchId: batch.id,
      chunkNo: 0,
      rowCount: 4,
      duplicate: true,
      stagedRows: 4,
    });

    const different = await refusal(
      db.rpc.call('import_stage_chunk', {
        p_batch_id: batch.id,
        p_chunk_no: 0,
        p_rows: chunks[1] ?? [],
      }),
    );
    expect(different.kind).toBe('refused');
    expect(different.message).toContain('already staged with different rows');

    const outOfRange = await refusal(
      db.rpc.call('import_stage_chunk', {
        p_batch_id: batch.id,
        p_chunk_no: 2,
        p_rows: chunks[1] ?? [],
      }),
    );
    expect(outOfRange.message).toContain('out of range');

    const staged = await db.pool.query<{ n: number }>(
      'select count(*)::int as n from public.bulk_import_staged_rows where batch_id = $1',
      [batch.id],
    );
    expect(staged.rows[0]?.n).toBe(4);
  });

  it('refuses amounts with a third decimal instead of rounding them', async () => {
    const rows = buildRows(merchant, { purchases: 1, itemsPerPurchase: 1 });
    const batch = await db.rpc.call('import_begin_batch', {
      p_merchant_id: merchant.merchantId,
      p_idempotency_key: randomUUID(),
      p_name: null,
      p_file_name: null,
      p_file_sha256: null,
      p_total_rows: 1,
      p_chunk_count: 1,
    });
    const error = await refusal(
      db.rpc.call('import_stage_chunk', {
        p_batch_id: batch.id,
        p_chunk_no: 0,
        p_rows: rows.map((row) => ({ ...row, unit_price: '1.005' })),
      }),
    );
    expect(error.message).toContain('more than two decimals');
  });
});

describe('import_commit_batch', () => {
  it('refuses an incomplete batch and leaves it pending so staging can resume', async () => {
    const rows = buildRows(merchant, { purchases: 6, itemsPerPurchase: 2 });
    const chunks = chunkRows(rows, 6);
    const batch = await db.rpc.call('import_begin_batch', {
      p_merchant_id: merchant.merchantId,
      p_idempotency_key: randomUUID(),
      p_name: null,
      p_file_name: null,
      p_file_sha256: null,
      p_total_rows: rows.length,
      p_chunk_count: chunks.length,
    });
    await db.rpc.call('import_stage_chunk', {
      p_batch_id: batch.id,
      p_chunk_no: 0,
      p_rows: chunks[0] ?? [],
    });

    const error = await refusal(db.rpc.call('import_commit_batch', { p_batch_id: batch.id }));
    expect(error.kind).toBe('refused');
    expect(error.message).toBe('batch incomplete: 6 of 12 rows staged');
    const after = await db.rpc.call('import_get_batch', { p_batch_id: batch.id });
    expect(after.status).toBe('pending');
    expect(after.stagedRows).toBe(6);

    await db.rpc.call('import_stage_chunk', {
      p_batch_id: batch.id,
      p_chunk_no: 1,
      p_rows: chunks[1] ?? [],
    });
    const done = await db.rpc.call('import_commit_batch', { p_batch_id: batch.id });
    expect(done.status).toBe('completed');
    expect(done.importedPurchases).toBe(6);
  });

  it('inserts every purchase and item with the batch id, once, however often it is committed', async () => {
    const rows = buildRows(merchant, {
      purchases: 40,
      itemsPerPurchase: (i) => 1 + (i % 4),
      withTotals: false,
    });
    // One purchase with a given total, to see it stored as given rather than recomputed.
    const first = rows.filter((row) => row.transaction_number === rows[0]?.transaction_number);
    const given = first.reduce((sum, row) => sum + Number(row.unit_price) * row.quantity, 0);
    for (const row of first) row.total_amount = given.toFixed(2);

    const { batchId } = await beginAndStage(db.rpc, merchant, rows, { chunkSize: 25 });
    const result = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(result).toMatchObject({
      id: batchId,
      status: 'completed',
      totalRows: rows.length,
      stagedRows: rows.length,
      importedPurchases: 40,
      importedItems: rows.length,
      errorMessage: null,
      errorCount: 0,
      errors: [],
    });
    expect(result.completedAt).not.toBeNull();
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: 40, items: rows.length });

    const purchases = await db.pool.query<{
      transaction_number: string;
      total_amount: string;
      currency: string;
      store_code: string;
      items: number;
      lines: number[];
      skus: string[];
      item_sum: string;
    }>(
      `select p.transaction_number, p.total_amount::text, p.currency, p.store_code,
              count(i.id)::int as items,
              array_agg(i.line_number order by i.line_number) as lines,
              array_agg(i.sku_id::text order by i.line_number) as skus,
              sum(i.quantity * i.unit_price)::text as item_sum
       from public.purchases p
       join public.purchase_items i on i.purchase_id = p.id
       where p.import_batch_id = $1 and p.merchant_id = $2
       group by p.id`,
      [batchId, merchant.merchantId],
    );
    expect(purchases.rows).toHaveLength(40);
    for (const purchase of purchases.rows) {
      const source = rows.filter((row) => row.transaction_number === purchase.transaction_number);
      expect(purchase.items).toBe(source.length);
      expect(purchase.lines).toEqual(source.map((_, index) => index + 1));
      expect(purchase.skus).toEqual(source.map((row) => row.sku_id));
      expect(purchase.total_amount).toBe(purchase.item_sum);
      expect(purchase.currency).toBe('EUR');
      expect(purchase.store_code).toBe(source[0]?.store_code);
    }
    const withGivenTotal = purchases.rows.find(
      (purchase) => purchase.transaction_number === rows[0]?.transaction_number,
    );
    expect(withGivenTotal?.total_amount).toBe(given.toFixed(2));

    const again = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(again).toEqual(result);
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: 40, items: rows.length });

    const late = await refusal(
      db.rpc.call('import_stage_chunk', {
        p_batch_id: batchId,
        p_chunk_no: 5,
        p_rows: rows.slice(0, 1),
      }),
    );
    expect(late.message).toContain('already completed');
  });

  it('answers an unknown batch id with no_data_found', async () => {
    for (const call of [
      () => db.rpc.call('import_commit_batch', { p_batch_id: randomUUID() }),
      () => db.rpc.call('import_get_batch', { p_batch_id: randomUUID() }),
      () => db.rpc.call('import_recheck_batch', { p_batch_id: randomUUID() }),
    ]) {
      const error = await refusal(call());
      expect(error.kind).toBe('refused');
      expect(error.code).toBe('P0002');
      expect(error.message).toMatch(/^Import batch [0-9a-f-]{36} does not exist\.$/);
    }
  });
});
