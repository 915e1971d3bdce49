import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import {
  beginAndStage,
  buildRows,
  countImported,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';

// The largest batch we accept, end to end through the RPCs: every call answers correctly and the
// batch lands exactly. How long the calls take is printed, not asserted (a loaded 2-core machine
// must not fail this): the budgets (slowest call far below Supabase's 8 s statement timeout,
// commit vs COPY) are `npm run bench` (db-100k, supabase-100k), ratios against the same run.

const ROWS = 100_000;
const PURCHASES = 30_000;

let db: TestDb;
let merchant: SeededMerchant;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 2_000, skus: 1_000 });
});
afterAll(async () => {
  await db.close();
});

describe('100k rows / 30k purchases', () => {
  it('stages in 5,000-row chunks, commits once, and a repeated commit or recheck changes nothing', async () => {
    // 10k purchases of 4 items + 20k of 3 = 100k rows.
    const rows = buildRows(merchant, {
      purchases: PURCHASES,
      itemsPerPurchase: (i) => (i % 3 === 0 ? 4 : 3),
      withTotals: true,
    });
    expect(rows).toHaveLength(ROWS);

    const { batchId, stageMs } = await beginAndStage(db.rpc, merchant, rows, { chunkSize: 5_000 });
    const stageMean = stageMs.reduce((sum, ms) => sum + ms, 0) / stageMs.length;
    const stageMax = Math.max(...stageMs);

    let started = performance.now();
    const recheck = await db.rpc.call('import_recheck_batch', { p_batch_id: batchId });
    const recheckMs = performance.now() - started;
    expect(recheck.ok).toBe(true);

    started = performance.now();
    const result = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    const commitMs = performance.now() - started;

    started = performance.now();
    const again = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    const noopMs = performance.now() - started;

    started = performance.now();
    const recheckDone = await db.rpc.call('import_recheck_batch', { p_batch_id: batchId });
    const recheckDoneMs = performance.now() - started;

    console.log(
      `[perf] staging ${stageMs.length} chunks of ~5,000 rows: mean ${stageMean.toFixed(0)} ms, ` +
        `max ${stageMax.toFixed(0)} ms; recheck ${recheckMs.toFixed(0)} ms; ` +
        `commit ${ROWS} rows / ${PURCHASES} purchases ${commitMs.toFixed(0)} ms; ` +
        `repeat commit ${noopMs.toFixed(0)} ms; recheck after commit ${recheckDoneMs.toFixed(0)} ms`,
    );

    expect(result.status).toBe('completed');
    expect(result.importedPurchases).toBe(PURCHASES);
    expect(result.importedItems).toBe(ROWS);
    expect(again).toEqual(result);
    expect(recheckDone.ok).toBe(true);
    expect(recheckDone.existingTransactions).toEqual([]);
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: PURCHASES, items: ROWS });
  });
});
