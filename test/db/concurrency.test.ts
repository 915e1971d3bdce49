import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createImportRpc } from '../../shared/db/import-rpc';
import { createPgTransport } from '../../electron/core/db/pg-transport';
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

/** One transport (own pool, own connection) per caller, as separate app instances would have. */
function separateClients(count: number) {
  return Array.from({ length: count }, () =>
    createImportRpc(createPgTransport({ connectionString: inject('databaseUrl') })),
  );
}

describe('concurrent commits', () => {
  it('lands a batch exactly once when ten connections commit it at the same time', async () => {
    const rows = buildRows(merchant, { purchases: 300, itemsPerPurchase: 3 });
    const { batchId } = await beginAndStage(db.rpc, merchant, rows);
    const clients = separateClients(10);
    try {
      const results = await Promise.all(
        clients.map((rpc) => rpc.call('import_commit_batch', { p_batch_id: batchId })),
      );
      for (const result of results) {
        expect(result).toEqual(results[0]);
      }
      expect(results[0]).toMatchObject({
        status: 'completed',
        importedPurchases: 300,
        importedItems: 900,
      });
    } finally {
      await Promise.all(clients.map((rpc) => rpc.transport.close()));
    }
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: 300, items: 900 });
    const duplicates = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from (
         select transaction_number from public.purchases where merchant_id = $1
         group by transaction_number having count(*) > 1) d`,
      [merchant.merchantId],
    );
    expect(duplicates.rows[0]?.n).toBe(0);
  });

  it('lets exactly one of two batches sharing a transaction number land', async () => {
    const shared = `SHARED-${Date.now()}`;
    const one = buildRows(merchant, { purchases: 200, itemsPerPurchase: 2 });
    const two = buildRows(merchant, { purchases: 200, itemsPerPurchase: 2 });
    for (const row of one.slice(-2)) row.transaction_number = shared;
    for (const row of two.slice(0, 2)) row.transaction_number = shared;
    const a = await beginAndStage(db.rpc, merchant, one);
    const b = await beginAndStage(db.rpc, merchant, two);

    const [clientA, clientB] = separateClients(2);
    try {
      const [resultA, resultB] = await Promise.all([
        clientA!.call('import_commit_batch', { p_batch_id: a.batchId }),
        clientB!.call('import_commit_batch', { p_batch_id: b.batchId }),
      ]);
      const statuses = [resultA.status, resultB.status].sort();
      expect(statuses).toEqual(['completed', 'failed']);
      const [winner, loser] =
        resultA.status === 'completed' ? [resultA, resultB] : [resultB, resultA];
      expect(loser.errorMessage).toBe('2 rows refused: 1 transaction already imported');
      expect(loser.errors).toHaveLength(2);
      for (const error of loser.errors) {
        expect(error.code).toBe('already_imported');
        expect(error.value).toBe(shared);
        expect(error.message).toBe(
          `Transaction ${shared} was already imported by batch ${winner.id}.`,
        );
      }
      expect(await countImported(db.pool, winner.id)).toEqual({ purchases: 200, items: 400 });
      expect(await countImported(db.pool, loser.id)).toEqual({ purchases: 0, items: 0 });
    } finally {
      await clientA!.transport.close();
      await clientB!.transport.close();
    }
  });
});
