import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  beginAndStage,
  buildRows,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';

// Issue 18: a batch's start and end are taken when they happen, so History's duration covers the
// commit as the user lived it. With `completed_at = now()` (the start of the commit's
// transaction) a commit that waited 1.5 s was recorded as if it had taken no time at all.

let db: TestDb;
let merchant: SeededMerchant;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 10, skus: 10 });
});
afterAll(async () => {
  await db.close();
});

describe('recorded batch duration', () => {
  it('is at least the measured wall time of a slow commit', async () => {
    const rows = buildRows(merchant, { purchases: 20, itemsPerPurchase: 2 });
    const { batchId } = await beginAndStage(db.rpc, merchant, rows);

    // Another session holds a lock the commit's inserts wait for: the commit is slow for a
    // reason the test controls, not because the machine is.
    const blocker = new pg.Client({ connectionString: inject('databaseUrl') });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('lock table public.purchases in share mode');
      const release = sleep(1_500).then(() => blocker.query('commit'));
      const started = performance.now();
      const committed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
      const commitMs = performance.now() - started;
      await release;

      expect(committed.status).toBe('completed');
      expect(commitMs).toBeGreaterThanOrEqual(1_400);
      const batch = await db.rpc.call('import_get_batch', { p_batch_id: batchId });
      if (!batch.startedAt || !batch.completedAt) throw new Error('batch times missing');
      const recordedMs = Date.parse(batch.completedAt) - Date.parse(batch.startedAt);
      // The record spans begin, staging and the commit: never less than the commit alone
      // (a few ms of slack for the client-side measurement's round trip).
      expect(recordedMs).toBeGreaterThanOrEqual(commitMs - 50);
    } finally {
      await blocker.end();
    }
  });
});
