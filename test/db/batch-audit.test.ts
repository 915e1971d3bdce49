import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { commitImport } from '../../shared/db/commit-import';
import type { AuditTrail } from '../../shared/db/rpc-contract';
import { RpcError } from '../../shared/db/rpc-transport';
import type { Purchase } from '../../shared/domain/types';
import {
  beginAndStage,
  buildRows,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';

// The audit trail of a batch (what the admin changed before importing) is stored with it and
// read back from any machine; History's overview sums up a period from the database.

let db: TestDb;
let merchant: SeededMerchant;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 5, skus: 5 });
});
afterAll(async () => {
  await db.close();
});

function purchase(n: number): Purchase {
  return {
    transactionNumber: `AUD-${randomUUID().slice(0, 8)}-${n}`,
    userId: merchant.userIds[0] ?? '',
    purchasedAt: '2026-11-02T08:15:00.000Z',
    currency: 'EUR',
    totalAmountCents: 250,
    storeCode: null,
    notes: null,
    rows: [2 + n],
    items: [
      {
        row: 2 + n,
        lineNumber: 1,
        skuId: merchant.skuIds[0] ?? '',
        quantity: 1,
        unitPriceCents: 250,
      },
    ],
  };
}

describe('the audit trail', () => {
  it('is stored with the batch and read back whole', async () => {
    const audit: AuditTrail = {
      file: { name: 'till-export.csv', sha256: 'ab'.repeat(32), rows: 15 },
      entries: [
        {
          kind: 'cell-changed',
          row: 4,
          column: 'quantity',
          before: '1.5',
          after: '2',
          at: '2026-11-30T09:00:00.000Z',
        },
        {
          kind: 'replaced-all',
          column: 'sku_id',
          from: 'ffffffff-ffff-4fff-8fff-ffffffffffff',
          to: merchant.skuIds[1] ?? '',
          rows: [6, 7],
          at: '2026-11-30T09:01:00.000Z',
        },
        {
          kind: 'rows-removed',
          reason: 'left-out',
          problem: 'unknown_user',
          rows: [9, 10, 11],
          transactions: ['T-9'],
          at: '2026-11-30T09:02:00.000Z',
        },
      ],
      skippedAsImported: [],
      totals: {
        rowsDeleted: 0,
        rowsLeftOut: 3,
        transactionsLeftOut: 1,
        cellsChanged: 1,
        replaceAlls: 1,
      },
    };
    const batch = await commitImport(db.rpc, {
      merchantId: merchant.merchantId,
      name: 'fixed by the admin',
      fileName: 'till-export.csv',
      fileSha256: null,
      purchases: [purchase(0), purchase(1)],
      idempotencyKey: randomUUID(),
      audit,
    });
    expect(batch.status).toBe('completed');
    const detail = await db.rpc.call('import_get_batch', { p_batch_id: batch.id });
    expect(detail.audit).toEqual(audit);
  });

  it('is null for a batch imported as its file was, and refused when it is not an object', async () => {
    const { batchId } = await beginAndStage(
      db.rpc,
      merchant,
      buildRows(merchant, { purchases: 1 }),
    );
    expect((await db.rpc.call('import_get_batch', { p_batch_id: batchId })).audit).toBeNull();
    const error = await db.pool
      .query(`select public.import_begin_batch($1, $2, null, null, null, 1, 1, '[1, 2]'::jsonb)`, [
        merchant.merchantId,
        randomUUID(),
      ])
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '22023', message: expect.stringContaining('audit trail') });
    expect(error).not.toBeInstanceOf(RpcError);
  });
});

describe('History overview', () => {
  it('counts a period’s imports per day, their success rate, durations and rows', async () => {
    const shop = await seedMerchant(db.pool, { users: 5, skus: 5 });
    const ok = await beginAndStage(db.rpc, shop, buildRows(shop, { purchases: 3 }));
    await db.rpc.call('import_commit_batch', { p_batch_id: ok.batchId });
    const rows = buildRows(shop, { purchases: 2 });
    rows[0]!.sku_id = randomUUID();
    const bad = await beginAndStage(db.rpc, shop, rows);
    await db.rpc.call('import_commit_batch', { p_batch_id: bad.batchId });
    const abandoned = await beginAndStage(db.rpc, shop, buildRows(shop, { purchases: 1 }));
    await db.rpc.call('import_cancel_batch', { p_batch_id: abandoned.batchId });

    const overview = await db.rpc.call('import_batch_overview', {
      p_merchant_id: shop.merchantId,
      p_days: 7,
    });
    expect(overview).toMatchObject({
      days: 7,
      imports: 3,
      completed: 1,
      failed: 1,
      successRate: 0.5,
      rowsImported: 9,
      purchasesImported: 3,
    });
    expect(overview.perDay).toHaveLength(7);
    expect(overview.perDay.at(-1)).toMatchObject({ completed: 1, failed: 1, other: 1 });
    expect(overview.medianMs).toBeGreaterThanOrEqual(0);
    expect(overview.slowestMs).toBeGreaterThanOrEqual(overview.medianMs ?? 0);
  });
});
