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

// How the commit reads a batch's staged rows (issue 14). Both inserts want the rows in file order,
// which is the order of the staged rows' primary key (batch_id, row_number). The planner, guessing
// from statistics that never saw this batch, collected them by bitmap and sorted them instead: at
// 1M rows that sort spilled ~90 MB to disk and cost ~0.6 s of a 20 s commit. The plans are read
// from the server itself (auto_explain of the statements nested in import_commit_batch), so this
// checks the function as installed, not a copy of its query.

let db: TestDb;
let merchant: SeededMerchant;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 50, skus: 40 });
});
afterAll(async () => {
  await db.close();
});

/** Commits the batch on a session of its own that logs every nested statement's plan. */
async function commitExplained(batchId: string): Promise<{ status: string; plans: string[] }> {
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  const plans: string[] = [];
  client.on('notice', (notice) => plans.push(notice.message ?? ''));
  try {
    await client.query(`load 'auto_explain'`);
    await client.query(`set auto_explain.log_min_duration = 0`);
    await client.query(`set auto_explain.log_nested_statements = on`);
    await client.query(`set auto_explain.log_level = notice`);
    await client.query(`set client_min_messages = notice`);
    const result = await client.query<{ batch: { status: string } }>(
      'select public.import_commit_batch(p_batch_id => $1) as batch',
      [batchId],
    );
    return { status: result.rows[0]?.batch.status ?? 'none', plans };
  } finally {
    await client.end();
  }
}

describe('the commit of a batch staged in whole purchases', () => {
  it('reads the staged rows in primary-key order for both inserts, without sorting them', async () => {
    const rows = buildRows(merchant, {
      purchases: 1_500,
      itemsPerPurchase: (i) => 1 + (i % 4),
      withTotals: true,
    });
    const { batchId } = await beginAndStage(db.rpc, merchant, rows, { chunkSize: 1_000 });

    const { status, plans } = await commitExplained(batchId);

    expect(status).toBe('completed');
    expect(await countImported(db.pool, batchId)).toEqual({
      purchases: 1_500,
      items: rows.length,
    });
    for (const table of ['purchases', 'purchase_items']) {
      const plan = plans.find((text) => text.includes(`Insert on ${table} `));
      expect(plan, `no plan logged for the insert into ${table}`).toBeDefined();
      expect(plan).toMatch(/Index Scan using bulk_import_staged_rows_pkey/);
      expect(plan).not.toMatch(/\bSort\b/);
    }
  });
});
