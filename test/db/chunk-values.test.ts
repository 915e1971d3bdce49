import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StagedRow } from '../../shared/db/rpc-contract';
import {
  beginAndStage,
  buildRows,
  countImported,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';

// The distinct values each chunk records at staging (migrations/0011) stand for its rows in the
// commit's check (sql/schema/03 chunks_complete and failing_values, 05 batch_distinct_values):
// whatever the check answers from the lists, it answers the same from the staged rows, which it
// still reads for a batch with a chunk staged before the migration (its lists null).

let db: TestDb;
let merchant: SeededMerchant;
let other: SeededMerchant;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 12, skus: 12 });
  other = await seedMerchant(db.pool, { users: 2, skus: 2 });
});
afterAll(async () => {
  await db.close();
});

const LIST_COLUMNS = [
  'transaction_numbers',
  'user_ids',
  'sku_ids',
  'user_keys',
  'user_key_ids',
  'sku_keys',
  'sku_key_ids',
];

/** Makes the batch's chunk records look staged before migration 0011: no lists. */
async function forgetLists(batchId: string, chunkNos?: number[]): Promise<void> {
  await db.pool.query(
    `update public.bulk_import_staged_chunks
     set ${LIST_COLUMNS.map((c) => `${c} = null`).join(', ')}
     where batch_id = $1 and ($2::int[] is null or chunk_no = any ($2))`,
    [batchId, chunkNos ?? null],
  );
}

async function listsRecorded(batchId: string): Promise<boolean[]> {
  const result = await db.pool.query<{ recorded: boolean }>(
    `select transaction_numbers is not null as recorded
     from public.bulk_import_staged_chunks where batch_id = $1 order by chunk_no`,
    [batchId],
  );
  return result.rows.map((r) => r.recorded);
}

async function complete(batchId: string): Promise<boolean> {
  const result = await db.pool.query<{ complete: boolean }>(
    'select import_private.chunks_complete($1) as complete',
    [batchId],
  );
  return result.rows[0]?.complete ?? false;
}

/** The check's answer, each line 'row column code value message', sorted. */
async function stagedErrors(batchId: string): Promise<string[]> {
  const result = await db.pool.query<{ line: string }>(
    `select concat_ws(' ', e.row_number, e.column_name, e.code, e.value, e.message) as line
     from import_private.staged_errors($1) as e`,
    [batchId],
  );
  return result.rows.map((r) => r.line).sort();
}

/** failing_values' input: what the lists give, and what the staged rows give. */
async function distinctValues(batchId: string): Promise<{ lists: string[]; rows: string[] }> {
  const lists = await db.pool.query<{ line: string }>(
    `select concat_ws(' ', v.column_name, v.value, v.resolved_id) as line
     from import_private.batch_distinct_values($1, import_private.chunks_complete($1)) as v`,
    [batchId],
  );
  const rows = await db.pool.query<{ line: string }>(
    `select distinct concat_ws(' ', v.column_name, v.value, v.resolved_id) as line
     from import_private.batch_value_pairs($1) as v`,
    [batchId],
  );
  return {
    lists: lists.rows.map((r) => r.line).sort(),
    rows: rows.rows.map((r) => r.line).sort(),
  };
}

/** begin + stage with chunks cut every `size` rows, splitting purchases across chunks. */
async function stageSplit(rows: readonly StagedRow[], size: number): Promise<string> {
  const staged = await beginAndStage(db.rpc, merchant, rows, {
    splitEvery: size,
    fileName: 'split.csv',
  });
  return staged.batchId;
}

function row(over: Partial<StagedRow> & { row: number; transaction_number: string }): StagedRow {
  return {
    user_id: merchant.userIds[0] ?? null,
    purchased_at: '2026-06-01T10:00:00.000Z',
    sku_id: merchant.skuIds[0] ?? null,
    quantity: 1,
    unit_price: '2.50',
    currency: 'EUR',
    total_amount: null,
    store_code: null,
    notes: null,
    ...over,
  };
}

/**
 * Purchases of every kind the check asks about, in three chunks of whole purchases: ids of this
 * merchant and of another, the same ids in several chunks, e-mails and codes (spelled two ways,
 * unknown, unresolved at preview, re-pointed since), and a transaction this merchant already has.
 */
async function mixedRows(tag: string): Promise<{ rows: StagedRow[]; existing: string }> {
  const existing = `${tag}-old`;
  await db.pool.query(
    `insert into public.purchases (merchant_id, user_id, transaction_number, purchased_at, total_amount)
     values ($1, $2, $3, now(), 1)`,
    [merchant.merchantId, merchant.userIds[1], existing],
  );
  const u = merchant.userIds;
  const k = merchant.skuIds;
  const specs: Partial<StagedRow>[][] = [
    [{ user_id: u[0] }, { user_id: u[0], sku_id: k[1] }],
    [{ user_id: other.userIds[0] }],
    [
      { user_id: u[2], sku_id: other.skuIds[0] },
      { user_id: u[2], sku_id: k[2] },
    ],
    [{ user_id: u[3], user_email: 'user4@example.test', sku_id: k[3], sku_code: 'SKU-4' }],
    // The same member spelled another way; a code unresolved at preview that resolves today.
    [{ user_id: u[3], user_email: ' USER4@Example.test', sku_id: null, sku_code: 'SKU-5' }],
    [{ user_id: null, user_email: 'nobody@example.test', sku_id: null, sku_code: 'NO-SKU' }],
    // Re-pointed: the preview resolved user5's e-mail to user6, its code to SKU 7.
    [{ user_id: u[5], user_email: 'user5@example.test', sku_id: k[6], sku_code: 'SKU-6' }],
    [{ user_id: u[0] }, { user_id: u[0], sku_id: k[1] }, { user_id: u[0], sku_id: k[2] }],
  ];
  const rows: StagedRow[] = [];
  for (const [i, items] of specs.entries()) {
    const tx = i === 2 ? existing : `${tag}-${i}`;
    for (const item of items)
      rows.push(row({ row: rows.length + 2, transaction_number: tx, ...item }));
  }
  return { rows, existing };
}

describe('the values each chunk records at staging', () => {
  it('give the check exactly what the staged rows give: values, keys, and every error', async () => {
    const { rows } = await mixedRows(`CV${randomUUID().slice(0, 6)}`);
    const { batchId } = await beginAndStage(db.rpc, merchant, rows, { chunkSize: 3 });
    expect((await listsRecorded(batchId)).every(Boolean)).toBe(true);
    expect(await complete(batchId)).toBe(true);

    const fromLists = await distinctValues(batchId);
    expect(fromLists.lists).toEqual(fromLists.rows);
    const errors = await stagedErrors(batchId);
    // Every kind is there (the comparison below would pass on an empty answer).
    const kinds = new Set(errors.map((line) => line.split(' ').slice(1, 3).join(' ')));
    expect([...kinds].sort()).toEqual([
      'sku_code key_changed',
      'sku_code unknown_sku',
      'sku_id unknown_sku',
      'transaction_number already_imported',
      'user_email key_changed',
      'user_email unknown_user',
      'user_id unknown_user',
    ]);

    await forgetLists(batchId);
    expect(await stagedErrors(batchId)).toEqual(errors);
    const fromRows = await distinctValues(batchId);
    expect(fromRows.lists).toEqual(fromLists.rows);
  });

  it('tell a transaction that spans two chunks: the batch is checked and numbered as a whole', async () => {
    const tag = `SP${randomUUID().slice(0, 6)}`;
    const rows = buildRows(merchant, { purchases: 6, itemsPerPurchase: 3, prefix: tag });
    // Chunks of 4 rows split purchases 2, 3, 5 and 6 over two chunks each.
    const batchId = await stageSplit(rows, 4);
    const chunks = await db.pool.query<{ n: number }>(
      'select count(*)::int as n from public.bulk_import_staged_chunks where batch_id = $1',
      [batchId],
    );
    expect(chunks.rows[0]?.n).toBeGreaterThan(1);
    expect(await complete(batchId)).toBe(false);
    // Transactions listed by two chunks are asked about once.
    const values = await distinctValues(batchId);
    expect(values.lists).toEqual(values.rows);

    const batch = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(batch.status).toBe('completed');
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: 6, items: 18 });
    const lines = await db.pool.query<{ tx: string; lines: number[] }>(
      `select p.transaction_number as tx, array_agg(i.line_number order by i.line_number) as lines
       from public.purchases p join public.purchase_items i on i.purchase_id = p.id
       where p.import_batch_id = $1 group by p.transaction_number order by 1`,
      [batchId],
    );
    for (const purchase of lines.rows) expect(purchase.lines).toEqual([1, 2, 3]);
  });

  it('refuses a purchase that differs between the two chunks it spans, which neither chunk sees', async () => {
    const tag = `SX${randomUUID().slice(0, 6)}`;
    const rows = buildRows(merchant, { purchases: 2, itemsPerPurchase: 4, prefix: tag }).map(
      // Rows 2-3 and 4-5 of purchase 0 go to two chunks; each half is consistent on its own.
      (r) => (r.row >= 4 && r.row <= 5 ? { ...r, user_id: merchant.userIds[9] ?? null } : r),
    );
    const batchId = await stageSplit(rows, 2);
    const own = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from public.bulk_import_staged_chunks
       where batch_id = $1 and jsonb_array_length(errors) > 0`,
      [batchId],
    );
    expect(own.rows[0]?.n).toBe(0);

    const batch = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(batch.status).toBe('failed');
    const errors = await db.pool.query<{ code: string; row_number: number }>(
      `select code, row_number from public.bulk_import_batch_errors
       where batch_id = $1 order by row_number`,
      [batchId],
    );
    expect(errors.rows).toEqual([
      { code: 'inconsistent_purchase', row_number: 4 },
      { code: 'inconsistent_purchase', row_number: 5 },
    ]);
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: 0, items: 0 });
  });

  it('are not needed: a pending batch staged before them (all or some chunks) commits from its rows', async () => {
    for (const forget of [undefined, [1]]) {
      const tag = `OLD${randomUUID().slice(0, 6)}`;
      const rows = buildRows(merchant, { purchases: 9, itemsPerPurchase: 2, prefix: tag });
      const { batchId } = await beginAndStage(db.rpc, merchant, rows, { chunkSize: 6 });
      await forgetLists(batchId, forget);
      expect((await listsRecorded(batchId)).some((recorded) => !recorded)).toBe(true);
      expect(await complete(batchId)).toBe(true);
      const batch = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
      expect(batch.status).toBe('completed');
      expect(await countImported(db.pool, batchId)).toEqual({ purchases: 9, items: 18 });
    }

    // Spanning, and refused for an unknown id: found from the rows as well.
    const tag = `OLDX${randomUUID().slice(0, 6)}`;
    const rows = buildRows(merchant, { purchases: 3, itemsPerPurchase: 3, prefix: tag }).map((r) =>
      r.row === 9 ? { ...r, sku_id: other.skuIds[1] ?? null } : r,
    );
    const batchId = await stageSplit(rows, 4);
    await forgetLists(batchId);
    expect(await complete(batchId)).toBe(false);
    const batch = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(batch.status).toBe('failed');
    const errors = await db.pool.query<{ line: string }>(
      `select concat_ws(' ', row_number, code, value) as line
       from public.bulk_import_batch_errors where batch_id = $1`,
      [batchId],
    );
    expect(errors.rows.map((r) => r.line)).toEqual([`9 unknown_sku ${other.skuIds[1]}`]);
  });

  it('are written by no refused chunk and unchanged by a resend', async () => {
    const tag = `RS${randomUUID().slice(0, 6)}`;
    const rows = buildRows(merchant, { purchases: 2, itemsPerPurchase: 2, prefix: tag });
    const { batchId } = await beginAndStage(db.rpc, merchant, rows, { chunkSize: 100 });
    const before = await db.pool.query(
      `select ${LIST_COLUMNS.join(', ')} from public.bulk_import_staged_chunks where batch_id = $1`,
      [batchId],
    );
    // The same rows spelled otherwise (keys in another order): a duplicate, nothing rewritten.
    const respelled = rows.map((r) => Object.fromEntries(Object.entries(r).reverse()) as StagedRow);
    const resent = await db.rpc.call('import_stage_chunk', {
      p_batch_id: batchId,
      p_chunk_no: 0,
      p_rows: respelled,
    });
    expect(resent.duplicate).toBe(true);
    const after = await db.pool.query(
      `select ${LIST_COLUMNS.join(', ')} from public.bulk_import_staged_chunks where batch_id = $1`,
      [batchId],
    );
    expect(after.rows).toEqual(before.rows);
    expect(before.rows[0]).toMatchObject({
      transaction_numbers: expect.arrayContaining([`${tag}-0`, `${tag}-1`]),
      user_keys: [],
      sku_keys: [],
    });
  });
});
