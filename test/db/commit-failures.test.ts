import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  beginAndStage,
  buildRows,
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
  merchant = await seedMerchant(db.pool, { users: 10, skus: 10 });
});
afterAll(async () => {
  await db.close();
});

async function purchasesNamed(transactionNumbers: string[]): Promise<number> {
  const result = await db.pool.query<{ n: number }>(
    `select count(*)::int as n from public.purchases
     where merchant_id = $1 and transaction_number = any($2::text[])`,
    [merchant.merchantId, transactionNumbers],
  );
  return result.rows[0]?.n ?? -1;
}

describe('server-side validation at commit', () => {
  it('records unknown ids as a failed batch, rechecks clean once fixed, and the retry lands', async () => {
    const rows = buildRows(merchant, { purchases: 5, itemsPerPurchase: 2 });
    const missingSku = randomUUID();
    const missingUser = randomUUID();
    // Rows 3 and 7 (two purchases) name a SKU the merchant lacks; purchase 4 an unknown user.
    rows[1]!.sku_id = missingSku;
    rows[5]!.sku_id = missingSku;
    for (const row of rows.filter((r) => r.transaction_number === rows[8]!.transaction_number)) {
      row.user_id = missingUser;
    }
    const { batchId } = await beginAndStage(db.rpc, merchant, rows, { name: 'unknown ids' });

    const failed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(failed.status).toBe('failed');
    expect(failed.errorMessage).toBe('4 rows refused: 1 unknown user id, 1 unknown SKU id');
    expect(failed.errors).toEqual([
      {
        row: 3,
        column: 'sku_id',
        code: 'unknown_sku',
        message: `SKU id ${missingSku} does not exist for this merchant.`,
        value: missingSku,
      },
      {
        row: 7,
        column: 'sku_id',
        code: 'unknown_sku',
        message: `SKU id ${missingSku} does not exist for this merchant.`,
        value: missingSku,
      },
      {
        row: 10,
        column: 'user_id',
        code: 'unknown_user',
        message: `User id ${missingUser} does not exist for this merchant.`,
        value: missingUser,
      },
      {
        row: 11,
        column: 'user_id',
        code: 'unknown_user',
        message: `User id ${missingUser} does not exist for this merchant.`,
        value: missingUser,
      },
    ]);
    expect(failed.errorCount).toBe(4);
    expect(failed.importedPurchases).toBe(0);
    expect(failed.completedAt).not.toBeNull();
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: 0, items: 0 });
    expect(await db.rpc.call('import_get_batch', { p_batch_id: batchId })).toEqual(failed);

    const before = await db.rpc.call('import_recheck_batch', { p_batch_id: batchId });
    expect(before).toMatchObject({
      batchId,
      ok: false,
      unknownUserIds: [missingUser],
      unknownSkuIds: [missingSku],
      existingTransactions: [],
    });
    expect(before.errors).toEqual(failed.errors);

    await db.pool.query('insert into public.skus (id, merchant_id, name) values ($1, $2, $3)', [
      missingSku,
      merchant.merchantId,
      'late SKU',
    ]);
    const halfway = await db.rpc.call('import_recheck_batch', { p_batch_id: batchId });
    expect(halfway.ok).toBe(false);
    expect(halfway.unknownSkuIds).toEqual([]);
    expect(halfway.errors.map((e) => e.row)).toEqual([10, 11]);

    await db.pool.query(
      'insert into public.user_accounts (id, merchant_id, email) values ($1, $2, $3)',
      [missingUser, merchant.merchantId, 'late@example.test'],
    );
    const after = await db.rpc.call('import_recheck_batch', { p_batch_id: batchId });
    expect(after).toMatchObject({
      batchId,
      ok: true,
      errors: [],
      errorTotal: 0,
      causes: [],
      summary: null,
      unknownUserIds: [],
      unknownSkuIds: [],
      existingTransactions: [],
    });
    // Both values the commit refused are resolved now, each with the rows it affected.
    expect(after.resolved.map((r) => `${r.code} ${r.value}`).sort()).toEqual(
      [`unknown_sku ${missingSku}`, `unknown_user ${missingUser}`].sort(),
    );
    // Recheck writes nothing.
    expect((await db.rpc.call('import_get_batch', { p_batch_id: batchId })).status).toBe('failed');

    const retried = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(retried).toMatchObject({
      status: 'completed',
      importedPurchases: 5,
      importedItems: 10,
      errorMessage: null,
      errorCount: 0,
      errors: [],
    });
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: 5, items: 10 });
  });

  // Per-merchant access at the data level: the ids exist, but belong to another merchant. The
  // foreign keys alone would accept them (they reference skus and user_accounts, not merchants).
  it("refuses another merchant's user and SKU ids at commit, and writes nothing", async () => {
    const other = await seedMerchant(db.pool, { users: 1, skus: 1 });
    const [otherUser, otherSku] = [other.userIds[0]!, other.skuIds[0]!];
    const rows = buildRows(merchant, { purchases: 3, itemsPerPurchase: 2 });
    rows[1]!.sku_id = otherSku; // row 3
    for (const row of rows.filter((r) => r.transaction_number === rows[4]!.transaction_number)) {
      row.user_id = otherUser; // rows 6 and 7
    }
    const { batchId } = await beginAndStage(db.rpc, merchant, rows);
    const failed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(failed.status).toBe('failed');
    expect(failed.errors.map((e) => [e.row, e.column, e.code, e.value])).toEqual([
      [3, 'sku_id', 'unknown_sku', otherSku],
      [6, 'user_id', 'unknown_user', otherUser],
      [7, 'user_id', 'unknown_user', otherUser],
    ]);
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: 0, items: 0 });
    const theirs = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from public.purchase_items i
       join public.purchases p on p.id = i.purchase_id
       where p.merchant_id = $1 and i.sku_id = $2`,
      [merchant.merchantId, otherSku],
    );
    expect(theirs.rows[0]?.n).toBe(0);
  });

  it('refuses inconsistent purchases and totals that do not match their items', async () => {
    const rows = buildRows(merchant, { purchases: 3, itemsPerPurchase: 3, withTotals: true });
    // Purchase 0: its third row names another store. Purchase 1: a wrong total on every row.
    rows[2]!.store_code = 'ELSEWHERE';
    for (const row of rows.slice(3, 6)) row.total_amount = '1.00';
    const { batchId } = await beginAndStage(db.rpc, merchant, rows);
    const failed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    const t0 = rows[0]!.transaction_number;
    const t1 = rows[3]!.transaction_number;
    expect(failed.status).toBe('failed');
    expect(failed.errorMessage).toBe(
      '4 rows refused: 1 inconsistent purchase, 1 purchase total not matching its items',
    );
    expect(failed.errors.map((e) => [e.row, e.column, e.code, e.value])).toEqual([
      [4, 'store_code', 'inconsistent_purchase', 'ELSEWHERE'],
      [5, 'total_amount', 'total_mismatch', '1.00'],
      [6, 'total_amount', 'total_mismatch', '1.00'],
      [7, 'total_amount', 'total_mismatch', '1.00'],
    ]);
    expect(failed.errors[0]?.message).toBe(
      `Transaction ${t0}: store_code differs from row 2 of the same purchase.`,
    );
    expect(failed.errors[1]?.message).toMatch(
      new RegExp(
        `^Transaction ${t1}: total 1\\.00 differs from the sum of its items \\d+\\.\\d\\d\\.$`,
      ),
    );
    expect(await purchasesNamed(rows.map((r) => r.transaction_number))).toBe(0);
  });

  it('refuses transaction numbers another batch imported, naming both', async () => {
    const first = buildRows(merchant, { purchases: 3, itemsPerPurchase: 1 });
    const a = await beginAndStage(db.rpc, merchant, first);
    expect((await db.rpc.call('import_commit_batch', { p_batch_id: a.batchId })).status).toBe(
      'completed',
    );

    const second = buildRows(merchant, { purchases: 2, itemsPerPurchase: 2 });
    second[2]!.transaction_number = first[1]!.transaction_number;
    second[3]!.transaction_number = first[1]!.transaction_number;
    const b = await beginAndStage(db.rpc, merchant, second);
    const failed = await db.rpc.call('import_commit_batch', { p_batch_id: b.batchId });
    expect(failed.status).toBe('failed');
    expect(failed.errorMessage).toBe('2 rows refused: 1 transaction already imported');
    expect(failed.errors).toEqual(
      [4, 5].map((row) => ({
        row,
        column: 'transaction_number',
        code: 'already_imported',
        message: `Transaction ${first[1]!.transaction_number} was already imported by batch ${a.batchId}.`,
        value: first[1]!.transaction_number,
      })),
    );
    const recheck = await db.rpc.call('import_recheck_batch', { p_batch_id: b.batchId });
    expect(recheck.existingTransactions).toEqual([
      { transactionNumber: first[1]!.transaction_number, batchId: a.batchId },
    ]);
    // The completed batch does not conflict with its own purchases.
    const own = await db.rpc.call('import_recheck_batch', { p_batch_id: a.batchId });
    expect(own).toMatchObject({ ok: true, existingTransactions: [], errors: [] });
    expect(await countImported(db.pool, b.batchId)).toEqual({ purchases: 0, items: 0 });
  });
});

describe('database refusals during the insert', () => {
  it('rolls back every purchase when the database refuses the last one of a large batch', async () => {
    const rows = buildRows(merchant, { purchases: 6_000, itemsPerPurchase: 3 });
    const last = rows[rows.length - 1]!.transaction_number;
    const { batchId } = await beginAndStage(db.rpc, merchant, rows);
    const trigger = `refuse_${randomUUID().replaceAll('-', '')}`;
    // A trigger stands for any rule the CRM enforces that the import cannot see in advance.
    await db.pool.query(`
      create or replace function public.test_refuse_purchase() returns trigger
      language plpgsql as $fn$
      begin
        if new.transaction_number = tg_argv[0] then
          raise exception 'purchase % refused by a CRM rule', new.transaction_number
            using errcode = 'check_violation';
        end if;
        return new;
      end;
      $fn$`);
    await db.pool.query(
      `create trigger ${trigger} before insert on public.purchases
       for each row execute function public.test_refuse_purchase('${last}')`,
    );
    try {
      const failed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
      expect(failed.status).toBe('failed');
      expect(failed.errorMessage).toBe(`purchase ${last} refused by a CRM rule (SQLSTATE 23514)`);
      expect(failed.errors).toEqual([
        {
          row: 0,
          column: null,
          code: 'conflict',
          message: `The database refused the batch: purchase ${last} refused by a CRM rule (SQLSTATE 23514)`,
          value: null,
        },
      ]);
      expect(failed.importedPurchases).toBe(0);
      expect(await countImported(db.pool, batchId)).toEqual({ purchases: 0, items: 0 });
      expect(await purchasesNamed([...new Set(rows.map((r) => r.transaction_number))])).toBe(0);
      expect((await db.rpc.call('import_get_batch', { p_batch_id: batchId })).status).toBe(
        'failed',
      );
    } finally {
      await db.pool.query(`drop trigger if exists ${trigger} on public.purchases`);
    }

    const retried = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(retried).toMatchObject({
      status: 'completed',
      importedPurchases: 6_000,
      importedItems: 18_000,
      errorMessage: null,
      errors: [],
    });
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: 6_000, items: 18_000 });
  });

  // Atomicity, seen directly in the tables (test/reliability/cdc.test.ts sees it in the change
  // stream): purchases are inserted before their items, so a refused item must take every
  // purchase of the batch with it, in both commit paths.
  it.each([
    ['staged per chunk (ids assigned at staging)', false],
    ['a purchase split across chunks (numbered at commit)', true],
  ])('keeps no purchase when the database refuses an item: %s', async (_path, split) => {
    const sku = await db.pool.query<{ id: string }>(
      'insert into public.skus (merchant_id, name) values ($1, $2) returning id::text',
      [merchant.merchantId, 'refused by a CRM rule'],
    );
    const refusedSku = sku.rows[0]!.id;
    const rows = buildRows(merchant, { purchases: 40, itemsPerPurchase: 3 });
    rows[rows.length - 1]!.sku_id = refusedSku; // the very last item of the batch
    let batchId: string;
    if (split) {
      // Two chunks, the cut inside purchase 20: the commit numbers the batch as a whole.
      const cut = 20 * 3 + 1;
      const begun = await db.rpc.call('import_begin_batch', {
        p_merchant_id: merchant.merchantId,
        p_idempotency_key: randomUUID(),
        p_name: null,
        p_file_name: 'split.csv',
        p_file_sha256: null,
        p_total_rows: rows.length,
        p_chunk_count: 2,
      });
      batchId = begun.id;
      for (const [chunkNo, chunk] of [rows.slice(0, cut), rows.slice(cut)].entries()) {
        await db.rpc.call('import_stage_chunk', {
          p_batch_id: batchId,
          p_chunk_no: chunkNo,
          p_rows: chunk,
        });
      }
    } else {
      batchId = (await beginAndStage(db.rpc, merchant, rows, { chunkSize: 30 })).batchId;
    }
    const trigger = `refuse_item_${randomUUID().replaceAll('-', '')}`;
    await db.pool.query(`
        create or replace function public.test_refuse_item() returns trigger
        language plpgsql as $fn$
        begin
          if new.sku_id::text = tg_argv[0] then
            raise exception 'item with SKU % refused by a CRM rule', new.sku_id
              using errcode = 'check_violation';
          end if;
          return new;
        end;
        $fn$`);
    await db.pool.query(
      `create trigger ${trigger} before insert on public.purchase_items
         for each row execute function public.test_refuse_item('${refusedSku}')`,
    );
    try {
      const failed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
      expect(failed).toMatchObject({
        status: 'failed',
        importedPurchases: 0,
        importedItems: 0,
        errorMessage: `item with SKU ${refusedSku} refused by a CRM rule (SQLSTATE 23514)`,
      });
      expect(await countImported(db.pool, batchId)).toEqual({ purchases: 0, items: 0 });
      expect(await purchasesNamed([...new Set(rows.map((r) => r.transaction_number))])).toBe(0);
    } finally {
      await db.pool.query(`drop trigger if exists ${trigger} on public.purchase_items`);
    }
    // Nothing half-done stands in the way: once the rule allows it, the retry lands it whole.
    const retried = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(retried).toMatchObject({
      status: 'completed',
      importedPurchases: 40,
      importedItems: 120,
    });
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: 40, items: 120 });
  });

  it('records a unique violation from a concurrent writer and keeps nothing of the batch', async () => {
    const rows = buildRows(merchant, { purchases: 50, itemsPerPurchase: 2 });
    const contested = rows[rows.length - 1]!.transaction_number;
    const { batchId } = await beginAndStage(db.rpc, merchant, rows);

    // A writer outside the import (a POS feed) inserts the same transaction number and commits
    // only after the import has checked: the import's check cannot see it, its insert must wait.
    const writer = new pg.Client({ connectionString: inject('databaseUrl') });
    await writer.connect();
    try {
      await writer.query('begin');
      await writer.query(
        `insert into public.purchases
           (merchant_id, user_id, transaction_number, purchased_at, total_amount)
         values ($1, $2, $3, now(), 1)`,
        [merchant.merchantId, merchant.userIds[0], contested],
      );
      const writerPid = (await writer.query<{ pid: number }>('select pg_backend_pid() as pid'))
        .rows[0]!.pid;
      const commit = db.rpc.call('import_commit_batch', { p_batch_id: batchId });
      await waitUntilBlockedBy(writerPid);
      await writer.query('commit');
      const failed = await commit;
      expect(failed.status).toBe('failed');
      expect(failed.errorMessage).toMatch(
        /^duplicate key value violates unique constraint "purchases_merchant_transaction_key" \(SQLSTATE 23505\)$/,
      );
      expect(failed.errors[0]?.message).toContain(contested);
    } finally {
      await writer.end();
    }
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: 0, items: 0 });
    expect(await purchasesNamed([contested])).toBe(1);

    const recheck = await db.rpc.call('import_recheck_batch', { p_batch_id: batchId });
    expect(recheck.existingTransactions).toEqual([{ transactionNumber: contested, batchId: null }]);
  });
});

/** Waits until some session (here: the import's commit) waits for a lock `pid` holds. */
async function waitUntilBlockedBy(pid: number): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const waiting = await db.pool.query<{ n: number }>(
      'select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
      [pid],
    );
    if ((waiting.rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the commit never waited for the concurrent writer');
}
