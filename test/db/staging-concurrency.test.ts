import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCall } from '../support/running-call';
import type { StagedRow } from '../../shared/db/rpc-contract';
import {
  buildRows,
  chunkRows,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';

// Chunks of one batch stage side by side (stage_chunk holds the batch row in share mode), while
// the commit and the cancel still wait for every chunk in flight, a resend of one chunk still
// answers duplicate, and the bound on the batch's rows still holds when two chunks race for it.
// Each case holds one staging call's transaction open on a connection of its own and asks what a
// second connection may do meanwhile: lock waits, not timings.

let db: TestDb;
let merchant: SeededMerchant;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'), 6);
  merchant = await seedMerchant(db.pool, { users: 20, skus: 30 });
});
afterAll(async () => {
  await db.close();
});

async function begin(rows: number, chunks: number): Promise<string> {
  const batch = await db.rpc.call('import_begin_batch', {
    p_merchant_id: merchant.merchantId,
    p_idempotency_key: randomUUID(),
    p_name: null,
    p_file_name: 'side-by-side.csv',
    p_file_sha256: null,
    p_total_rows: rows,
    p_chunk_count: chunks,
  });
  return batch.id;
}

const STAGE =
  'select public.import_stage_chunk(p_batch_id => $1, p_chunk_no => $2, p_rows => $3::json) as result';

/** Stages a chunk in a transaction left open on its own connection (commit or roll it back). */
async function stageOpen(
  batchId: string,
  chunkNo: number,
  rows: readonly StagedRow[],
): Promise<pg.PoolClient> {
  const client = await db.pool.connect();
  await client.query('begin');
  await client.query(STAGE, [batchId, chunkNo, JSON.stringify(rows)]);
  return client;
}

async function finish(client: pg.PoolClient, how: 'commit' | 'rollback'): Promise<void> {
  try {
    await client.query(how);
  } finally {
    client.release();
  }
}

describe('staging chunks of one batch side by side', () => {
  it('stages a second chunk while the first is in flight: it waits only to count the rows', async () => {
    const rows = buildRows(merchant, { purchases: 4, itemsPerPurchase: 2 });
    const chunks = chunkRows(rows, 4);
    const batchId = await begin(rows.length, chunks.length);
    const first = await stageOpen(batchId, 0, chunks[0] ?? []);
    const second = await startCall(db.pool, STAGE, [batchId, 1, JSON.stringify(chunks[1] ?? [])]);
    try {
      // Past its insert, the second call waits for the lock that makes the bound on the batch's
      // rows exact (an advisory lock the first holds until its commit); with the batch row locked
      // for update it waited for the first's whole transaction before reading its payload.
      expect(await second.waitsFor()).toBe('advisory');
    } finally {
      await finish(first, 'commit');
    }
    expect(await second.result).toEqual({
      batchId,
      chunkNo: 1,
      rowCount: 4,
      duplicate: false,
      stagedRows: 8,
    });
    const batch = await db.rpc.call('import_get_batch', { p_batch_id: batchId });
    expect(batch).toMatchObject({ status: 'pending', stagedRows: 8 });
    const committed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(committed).toMatchObject({ status: 'completed', stagedRows: 8, importedItems: 8 });
    const row = await db.pool.query<{ staged_rows: number }>(
      'select staged_rows from public.bulk_import_batches where id = $1',
      [batchId],
    );
    expect(row.rows[0]?.staged_rows).toBe(8);
  });

  it('makes the commit and the cancel wait for a chunk in flight', async () => {
    const rows = buildRows(merchant, { purchases: 2, itemsPerPurchase: 2 });
    const batchId = await begin(rows.length, 1);
    const staging = await stageOpen(batchId, 0, rows);
    const commit = await startCall(db.pool, 'select public.import_commit_batch($1) as result', [
      batchId,
    ]);
    const cancel = await startCall(db.pool, 'select public.import_cancel_batch($1) as result', [
      batchId,
    ]);
    try {
      // Both wait for the batch row (a tuple or the staging transaction), not an advisory lock.
      expect(await commit.waitsFor()).not.toBe('advisory');
      expect(await cancel.waitsFor()).not.toBe('advisory');
    } finally {
      await finish(staging, 'commit');
    }
    const outcomes = [await commit.result, await cancel.result] as { status: string }[];
    // The commit queued first for the row: it lands every row, and the cancel then finds the
    // batch completed and says so.
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['completed', 'completed']);
    const batch = await db.rpc.call('import_get_batch', { p_batch_id: batchId });
    expect(batch).toMatchObject({ status: 'completed', importedItems: 4, stagedRows: 4 });
  });

  it('answers a resend that arrives while the first call is still running as a duplicate', async () => {
    const rows = buildRows(merchant, { purchases: 2, itemsPerPurchase: 2 });
    const batchId = await begin(rows.length, 1);
    const first = await stageOpen(batchId, 0, rows);
    // The resend waits for the first call's transaction, then finds its chunk.
    const resend = await startCall(db.pool, STAGE, [batchId, 0, JSON.stringify(rows)]);
    expect(await resend.waitsFor()).toBe('advisory');
    await finish(first, 'commit');
    expect(await resend.result).toEqual({
      batchId,
      chunkNo: 0,
      rowCount: 4,
      duplicate: true,
      stagedRows: 4,
    });
  });

  it('refuses the chunk that would pass the batch’s rows when two race for the last ones', async () => {
    const rows = buildRows(merchant, { purchases: 4, itemsPerPurchase: 2 });
    const chunks = chunkRows(rows, 4);
    // Begun for 12 rows in 3 chunks: two chunks of 4 fit, but a forged third chunk of 8 rows
    // racing the second must not (each alone sees room for itself).
    const batchId = await begin(12, 3);
    await db.rpc.call('import_stage_chunk', {
      p_batch_id: batchId,
      p_chunk_no: 0,
      p_rows: chunks[0] ?? [],
    });
    const second = await stageOpen(batchId, 1, chunks[1] ?? []);
    const more = buildRows(merchant, { purchases: 4, itemsPerPurchase: 2, firstRow: 100 });
    const third = await startCall(db.pool, STAGE, [batchId, 2, JSON.stringify(more)]);
    expect(await third.waitsFor()).toBe('advisory');
    await finish(second, 'commit');
    await expect(third.result).rejects.toThrow('more than the 12 it was begun with');
    const batch = await db.rpc.call('import_get_batch', { p_batch_id: batchId });
    expect(batch.stagedRows).toBe(8);
    const staged = await db.pool.query<{ n: number }>(
      'select count(*)::int as n from public.bulk_import_staged_rows where batch_id = $1',
      [batchId],
    );
    expect(staged.rows[0]?.n).toBe(8);
  });
});

describe('a resent chunk spelled differently', () => {
  it('answers duplicate for the same rows in another key order and spelling, refuses other rows', async () => {
    const rows = buildRows(merchant, { purchases: 2, itemsPerPurchase: 2 });
    const batchId = await begin(rows.length, 1);
    await db.rpc.call('import_stage_chunk', { p_batch_id: batchId, p_chunk_no: 0, p_rows: rows });
    // The hash is of the text as sent: keys reversed, spaces and "12.5" for "12.50" hash
    // differently, and the rows themselves are compared.
    const respelled = `[ ${rows
      .map((row) =>
        JSON.stringify(
          Object.fromEntries(
            Object.entries({ ...row, unit_price: String(Number(row.unit_price)) }).reverse(),
          ),
        ),
      )
      .join(' , ')} ]`;
    const again = await db.pool.query<{ result: unknown }>(STAGE, [batchId, 0, respelled]);
    expect(again.rows[0]?.result).toEqual({
      batchId,
      chunkNo: 0,
      rowCount: 4,
      duplicate: true,
      stagedRows: 4,
    });
    const changed = rows.map((row, i) => (i === 3 ? { ...row, quantity: row.quantity + 1 } : row));
    await expect(db.pool.query(STAGE, [batchId, 0, JSON.stringify(changed)])).rejects.toThrow(
      'already staged with different rows',
    );
  });
});
