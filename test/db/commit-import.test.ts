import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { commitImport, CommitCancelledError } from '../../shared/db/commit-import';
import { retryBatch } from '../../electron/core/use-cases';
import { createImportRpc } from '../../shared/db/import-rpc';
import { analyseCsvText } from '../../shared/domain/analyse';
import type { Purchase } from '../../shared/domain/types';
import {
  countImported,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';
import { lossyTransport as lossy } from '../support/lossy-transport';

// The client side of "exactly once": begin → stage → commit over a transport that loses answers.
// The database is real; only the wire in between misbehaves.

let db: TestDb;
let merchant: SeededMerchant;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 10, skus: 10 });
});
afterAll(async () => {
  await db.close();
});

function purchases(count: number, itemsEach = 2): Purchase[] {
  const tag = randomUUID().slice(0, 8);
  let row = 2;
  return Array.from({ length: count }, (_, i) => {
    const items = Array.from({ length: itemsEach }, (_, j) => ({
      row: row++,
      lineNumber: j + 1,
      skuId: merchant.skuIds[(i + j) % merchant.skuIds.length] as string,
      quantity: 1 + j,
      unitPriceCents: 250 + i,
    }));
    return {
      transactionNumber: `${tag}-${i}`,
      userId: merchant.userIds[i % merchant.userIds.length] as string,
      purchasedAt: new Date(Date.UTC(2026, 2, 1, 9, i)).toISOString(),
      currency: 'EUR',
      totalAmountCents: items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0),
      storeCode: 'S1',
      notes: null,
      rows: items.map((item) => item.row),
      items,
    };
  });
}

/** The test database's own transport, with faults on chosen calls. */
function lossyTransport(faults: Parameters<typeof lossy>[1]): ReturnType<typeof lossy> {
  return lossy(db.rpc.transport, faults);
}

const fast = { retry: { attempts: 5, baseDelayMs: 1 } };

describe('commitImport', () => {
  it('lands a batch exactly once when answers to begin, a chunk and the commit are lost', async () => {
    const { transport, calls } = lossyTransport({
      import_begin_batch: ['drop-after'],
      import_stage_chunk: ['drop-before', 'drop-after'],
      import_commit_batch: ['drop-after'],
    });
    const input = purchases(30, 3);
    const result = await commitImport(
      createImportRpc(transport),
      {
        merchantId: merchant.merchantId,
        name: 'lossy',
        fileName: 'lossy.csv',
        fileSha256: null,
        purchases: input,
        idempotencyKey: randomUUID(),
        chunkRows: 20,
      },
      fast,
    );
    expect(result.status).toBe('completed');
    expect(result.importedPurchases).toBe(30);
    expect(await countImported(db.pool, result.id)).toEqual({ purchases: 30, items: 90 });
    // The lost commit answer was reconciled by reading the batch, not by committing twice.
    expect(calls).toContain('import_get_batch');
    expect(calls.filter((fn) => fn === 'import_begin_batch')).toHaveLength(2);
  });

  it('resumes an interrupted attempt with the same idempotency key without duplicating rows', async () => {
    const input = purchases(12, 2);
    const key = randomUUID();
    const base = {
      merchantId: merchant.merchantId,
      name: 'resumed',
      fileName: 'resumed.csv',
      fileSha256: null,
      purchases: input,
      idempotencyKey: key,
      chunkRows: 6,
    };
    const { transport } = lossyTransport({
      import_stage_chunk: ['drop-before', 'drop-before', 'drop-before'],
    });
    await expect(
      commitImport(
        createImportRpc(transport),
        { ...base, stageConcurrency: 1 },
        { retry: { attempts: 3, baseDelayMs: 1 } },
      ),
    ).rejects.toMatchObject({ kind: 'unreachable' });

    const resumed = await commitImport(db.rpc, base, fast);
    expect(resumed.status).toBe('completed');
    expect(await countImported(db.pool, resumed.id)).toEqual({ purchases: 12, items: 24 });

    // A third run with the same key finds the completed batch and changes nothing.
    const again = await commitImport(db.rpc, base, fast);
    expect(again.id).toBe(resumed.id);
    expect(await countImported(db.pool, resumed.id)).toEqual({ purchases: 12, items: 24 });
  });

  it('stops before the commit step when cancelled and leaves nothing imported', async () => {
    const controller = new AbortController();
    const input = purchases(10, 2);
    const promise = commitImport(
      db.rpc,
      {
        merchantId: merchant.merchantId,
        name: 'cancelled',
        fileName: null,
        fileSha256: null,
        purchases: input,
        idempotencyKey: randomUUID(),
        chunkRows: 4,
      },
      {
        ...fast,
        onProgress: (p) => {
          if (p.phase === 'staging' && p.chunksSent === 1) controller.abort();
        },
        signal: controller.signal,
      },
    );
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommitCancelledError);
    const batchId = (error as CommitCancelledError).batchId;
    expect(batchId).not.toBeNull();
    expect(await countImported(db.pool, batchId as string)).toEqual({ purchases: 0, items: 0 });
    // Cancelled, not pending: History must not offer to commit what the user abandoned.
    const batch = await db.rpc.call('import_get_batch', { p_batch_id: batchId as string });
    expect(batch.status).toBe('cancelled');
    expect(batch.errorMessage).toMatch(
      /^Cancelled by .+ before the commit step \([48] of 20 rows staged\)/,
    );
    const staged = await db.pool.query<{ n: number }>(
      'select count(*)::int as n from public.bulk_import_staged_rows where batch_id = $1',
      [batchId],
    );
    expect(staged.rows[0]?.n).toBe(0);
    await expect(retryBatch(db.rpc, batchId as string)).rejects.toThrow(
      /was cancelled before its commit step: it imports nothing/,
    );
    await expect(
      db.rpc.call('import_stage_chunk', {
        p_batch_id: batchId as string,
        p_chunk_no: 1,
        p_rows: [],
      }),
    ).rejects.toThrow(/is cancelled: it accepts no rows/);
    const listed = await db.rpc.call('import_list_batches', {
      p_merchant_id: merchant.merchantId,
      p_status: 'cancelled',
      p_search: null,
      p_limit: 50,
      p_offset: 0,
    });
    expect(listed.batches.map((b) => b.id)).toContain(batchId);
  });

  it('cancels a fully staged batch that was stopped just before its commit call', async () => {
    const controller = new AbortController();
    const key = randomUUID();
    const input = {
      merchantId: merchant.merchantId,
      name: 'cancelled at the last chunk',
      fileName: null,
      fileSha256: null,
      purchases: purchases(6, 2),
      idempotencyKey: key,
      chunkRows: 4,
    };
    const error = await commitImport(db.rpc, input, {
      ...fast,
      onProgress: (p) => {
        if (p.rowsStaged === p.totalRows) controller.abort();
      },
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommitCancelledError);
    const batchId = (error as CommitCancelledError).batchId as string;
    const batch = await db.rpc.call('import_get_batch', { p_batch_id: batchId });
    expect(batch).toMatchObject({ status: 'cancelled', stagedRows: 12, importedPurchases: 0 });
    // The same attempt resumed with its key stays cancelled instead of importing.
    await expect(commitImport(db.rpc, input, fast)).rejects.toBeInstanceOf(CommitCancelledError);
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: 0, items: 0 });
  });

  it('answers a cancel that comes after the commit with the completed batch', async () => {
    const batch = await commitImport(
      db.rpc,
      {
        merchantId: merchant.merchantId,
        name: 'too late to cancel',
        fileName: null,
        fileSha256: null,
        purchases: purchases(3, 1),
        idempotencyKey: randomUUID(),
      },
      fast,
    );
    const cancelled = await db.rpc.call('import_cancel_batch', { p_batch_id: batch.id });
    expect(cancelled).toMatchObject({ id: batch.id, status: 'completed', importedPurchases: 3 });
  });
});

// Row numbers are what a user acts on ("row 6: unknown SKU"): from the file through staging to
// the batch's errors, each row keeps the number the spreadsheet shows, with no shift anywhere.
describe('spreadsheet row numbers', () => {
  it('reach the database as the file numbers them: staged rows and a refused row', async () => {
    const [u1, u2] = merchant.userIds as [string, string];
    const [s1, s2] = merchant.skuIds as [string, string];
    const unknownSku = randomUUID();
    const tag = `ROWS${randomUUID().slice(0, 6)}`;
    const csv = [
      'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price,currency,total_amount,store_code,notes',
      `${tag}-A,${u1},2026-03-04T10:15:00Z,${s1},2,12.50,EUR,,S1,`, // row 2
      `${tag}-A,${u1},2026-03-04T10:15:00Z,${s2},1,10,EUR,,S1,`, // row 3
      `${tag}-B,${u2},2026-03-04T10:20:00Z,${s1},0,1.99,EUR,,S1,`, // row 4: refused here
      `${tag}-C,${u1},2026-03-04T11:00:00Z,${s2},1,0.10,EUR,,S2,`, // row 5
      `${tag}-C,${u1},2026-03-04T11:00:00Z,${unknownSku},1,0.10,EUR,,S2,`, // row 6: the db knows
      `${tag}-D,${u2},2026-03-04T12:00:00Z,${s1},3,1.00,EUR,,S3,`, // row 7
    ].join('\n');
    const report = analyseCsvText(csv, {}, 'rows.csv');
    expect(report.errors.map((e) => [e.row, e.column])).toEqual([[4, 'quantity']]);
    expect(report.purchases.map((p) => p.rows)).toEqual([[2, 3], [5, 6], [7]]);

    const batch = await commitImport(db.rpc, {
      merchantId: merchant.merchantId,
      name: 'row numbers',
      fileName: 'rows.csv',
      fileSha256: null,
      purchases: report.purchases,
      idempotencyKey: randomUUID(),
      chunkRows: 2, // one purchase per chunk: numbers cross chunk boundaries too
    });
    expect(batch.status).toBe('failed');
    expect(batch.errors.map((e) => [e.row, e.column, e.code, e.value])).toEqual([
      [6, 'sku_id', 'unknown_sku', unknownSku],
    ]);
    const staged = await db.pool.query<{ row_number: number; sku_id: string }>(
      `select row_number, sku_id::text from public.bulk_import_staged_rows
       where batch_id = $1 order by row_number`,
      [batch.id],
    );
    expect(staged.rows.map((r) => [r.row_number, r.sku_id])).toEqual([
      [2, s1],
      [3, s2],
      [5, s2],
      [6, unknownSku],
      [7, s1],
    ]);
  });
});
