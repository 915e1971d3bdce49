import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StagedRow } from '../../shared/db/rpc-contract';
import { beginAndStage, buildRows, openTestDb, seedMerchant, type TestDb } from '../support/seed';

// A re-check counts errors per failing value (import_private.live_errors) instead of producing one
// error per staged row. It must say exactly what the commit's own check (staged_errors, one row
// per error) says: the same total, rows in error, counts per value, and the same page at any
// offset — for a batch never committed (values counted afresh) and for a refused one (values
// recorded by the commit), before and after today's data changes.

let db: TestDb;

beforeAll(() => {
  db = openTestDb(inject('databaseUrl'));
});
afterAll(async () => {
  await db?.close();
});

interface Truth {
  total: number;
  rows: number;
  byValue: Record<string, number>;
  page: unknown[];
}

/** What one error per staged row says: the commit's definition. */
async function truth(batchId: string, limit: number, offset: number): Promise<Truth> {
  const { rows } = await db.pool.query<{ t: Truth }>(
    `with e as materialized (select * from import_private.staged_errors($1))
     select jsonb_build_object(
       'total', (select count(*) from e),
       'rows', (select count(distinct row_number) from e),
       'byValue', (select coalesce(jsonb_object_agg(k, n), '{}') from (
          select code || '|' || column_name || '|' || coalesce(value, '') as k, count(*) as n
          from e group by 1) x),
       'page', (select coalesce(jsonb_agg(jsonb_build_object(
          'row', p.row_number, 'column', nullif(p.column_name, ''), 'code', p.code,
          'message', p.message, 'value', p.value) order by p.row_number, p.column_name, p.code), '[]')
          from (select * from e order by row_number, column_name, code limit $2 offset $3) p)
     ) as t`,
    [batchId, limit, offset],
  );
  return rows[0]!.t;
}

interface Report {
  errorTotal: number;
  errorRows: number;
  causes: { code: string; column: string | null; rows: number; distinctValues: number }[];
  errors: unknown[];
  summary: string | null;
}

async function live(batchId: string, limit: number, offset: number): Promise<Report> {
  const { rows } = await db.pool.query<{ r: Report }>(
    'select import_private.error_report($1, true, $2, $3) as r',
    [batchId, limit, offset],
  );
  return rows[0]!.r;
}

/** Counts per value from the report's causes (every cause here has at most 20 values). */
async function liveByValue(batchId: string): Promise<Record<string, number>> {
  const { rows } = await db.pool.query<{ k: string; n: number }>(
    `select l.code || '|' || l.column_name || '|' || coalesce(l.value, '') as k, sum(l.n)::int as n
     from import_private.live_errors($1, 0, 0) l where l.part = 'all' group by 1`,
    [batchId],
  );
  return Object.fromEntries(rows.map((r) => [r.k, r.n]));
}

async function expectSameAsCommitCheck(batchId: string): Promise<Report> {
  const first = await live(batchId, 50, 0);
  const expected = await truth(batchId, 50, 0);
  expect(first.errorTotal).toBe(expected.total);
  expect(first.errorRows).toBe(expected.rows);
  expect(first.errors).toEqual(expected.page);
  expect(await liveByValue(batchId)).toEqual(expected.byValue);
  for (const [limit, offset] of [
    [7, 3],
    [25, expected.total - 10],
    [10, expected.total + 5],
  ] as const) {
    expect((await live(batchId, limit, offset)).errors).toEqual(
      (await truth(batchId, limit, offset)).page,
    );
  }
  return first;
}

describe('a re-check counted per value', () => {
  it('says what the commit’s check says, for every mix of causes, before and after a refusal and after the data changes', async () => {
    const merchant = await seedMerchant(db.pool, { users: 30, skus: 12 });
    const other = await seedMerchant(db.pool, { users: 3, skus: 3 });
    const unknownUser = randomUUID();
    const unknownSkus = [randomUUID(), randomUUID()];
    const prefix = `R${randomUUID().slice(0, 6)}`;

    // Two transactions of the file are already the merchant's (imported before, outside a batch).
    await db.pool.query(
      `insert into public.purchases (merchant_id, user_id, transaction_number, purchased_at,
         currency, total_amount)
       values ($1, $2, $3, now(), 'EUR', 1), ($1, $2, $4, now(), 'EUR', 1)`,
      [merchant.merchantId, merchant.userIds[0], `${prefix}-5`, `${prefix}-40`],
    );
    const rows: StagedRow[] = buildRows(merchant, {
      purchases: 120,
      prefix,
      itemsPerPurchase: (i) => 1 + (i % 4),
    }).map((row, index) => {
      const changed: StagedRow = { ...row };
      // An unknown user (a whole purchase), two unknown SKUs (scattered, some on the same rows as
      // other causes), another merchant's SKU, and rows breaking the batch's own rules.
      if (row.transaction_number === `${prefix}-9`) changed.user_id = unknownUser;
      if (index % 17 === 3) changed.sku_id = unknownSkus[0]!;
      if (index % 23 === 5) changed.sku_id = unknownSkus[1]!;
      if (index === 100) changed.sku_id = other.skuIds[0]!;
      if (index === 11 || index === 200) changed.quantity = 0;
      if (index === 57) changed.currency = 'eur';
      return changed;
    });
    const { batchId } = await beginAndStage(db.rpc, merchant, rows, { chunkSize: 60 });

    const pending = await expectSameAsCommitCheck(batchId);
    expect(pending.causes.map((c) => c.code).sort()).toEqual([
      'already_imported',
      'inconsistent_purchase',
      'invalid_currency',
      'out_of_range',
      'unknown_sku',
      'unknown_user',
    ]);

    const failed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(failed.status).toBe('failed');
    expect(failed.errorCount).toBe(pending.errorTotal);
    // The refusal recorded the batch's distinct values, each with its rows.
    const recorded = await db.pool.query<{ column_name: string; n: number; rows: number }>(
      `select column_name, count(*)::int as n, sum(row_count)::int as rows
       from (select v.batch_id, v.column_name, u.value, u.row_count
         from public.bulk_import_batch_values v,
           unnest(v.distinct_values, v.row_counts) as u(value, row_count)) as r
       where batch_id = $1 group by 1 order by 1`,
      [batchId],
    );
    expect(recorded.rows).toEqual([
      { column_name: 'sku_id', n: expect.any(Number) as number, rows: rows.length },
      { column_name: 'transaction_number', n: 120, rows: rows.length },
      { column_name: 'user_id', n: expect.any(Number) as number, rows: rows.length },
    ]);
    expect(await expectSameAsCommitCheck(batchId)).toEqual(pending);

    // Today's data changes: one unknown SKU now exists, one existing transaction is gone, and a
    // SKU the file uses moves to another merchant (a value that passed now fails).
    await db.pool.query(`insert into public.skus (id, merchant_id, name) values ($1, $2, 'new')`, [
      unknownSkus[0],
      merchant.merchantId,
    ]);
    await db.pool.query(
      'delete from public.purchases where merchant_id = $1 and transaction_number = $2',
      [merchant.merchantId, `${prefix}-40`],
    );
    await db.pool.query('update public.skus set merchant_id = $1 where id = $2', [
      other.merchantId,
      merchant.skuIds[4],
    ]);
    const after = await expectSameAsCommitCheck(batchId);
    expect(after.errorTotal).not.toBe(pending.errorTotal);

    // A retry is refused again and records nothing twice.
    await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    const again = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from (select v.batch_id, v.column_name, u.value, u.row_count
         from public.bulk_import_batch_values v,
           unnest(v.distinct_values, v.row_counts) as u(value, row_count)) as r
       where batch_id = $1`,
      [batchId],
    );
    expect(again.rows[0]?.n).toBe(recorded.rows.reduce((sum, r) => sum + r.n, 0));
    await expectSameAsCommitCheck(batchId);
  });
});
