import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openTestDb, seedMerchant, type SeededMerchant, type TestDb } from '../support/seed';

let db: TestDb;
let merchantA: SeededMerchant;
let merchantB: SeededMerchant;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchantA = await seedMerchant(db.pool, { users: 3, skus: 3 });
  merchantB = await seedMerchant(db.pool, { users: 3, skus: 3 });
});
afterAll(async () => {
  await db.close();
});

async function insertPurchase(
  merchant: SeededMerchant,
  transactionNumber: string,
  batchId: string | null = null,
): Promise<void> {
  await db.pool.query(
    `insert into public.purchases
       (merchant_id, user_id, transaction_number, purchased_at, total_amount, import_batch_id)
     values ($1, $2, $3, now(), 10, $4)`,
    [merchant.merchantId, merchant.userIds[0], transactionNumber, batchId],
  );
}

describe('import_check_references', () => {
  it('counts ids of another merchant as unknown and sees only its own transactions', async () => {
    await insertPurchase(merchantA, 'A-1');
    await insertPurchase(merchantB, 'B-1');
    const stranger = randomUUID();
    const result = await db.rpc.call('import_check_references', {
      p_merchant_id: merchantA.merchantId,
      p_user_ids: [...merchantA.userIds, merchantB.userIds[0] ?? '', stranger],
      p_sku_ids: [merchantA.skuIds[0] ?? '', merchantB.skuIds[1] ?? '', merchantB.skuIds[1] ?? ''],
      p_transaction_numbers: ['A-1', 'B-1', 'NEW-1'],
    });
    expect(result.unknownUserIds).toEqual([merchantB.userIds[0], stranger].sort());
    expect(result.unknownSkuIds).toEqual([merchantB.skuIds[1]]);
    expect(result.existingTransactions).toEqual([{ transactionNumber: 'A-1', batchId: null }]);

    const forB = await db.rpc.call('import_check_references', {
      p_merchant_id: merchantB.merchantId,
      p_user_ids: merchantA.userIds,
      p_sku_ids: merchantB.skuIds,
      p_transaction_numbers: ['A-1', 'B-1'],
    });
    expect(forB.unknownUserIds).toEqual([...merchantA.userIds].sort());
    expect(forB.unknownSkuIds).toEqual([]);
    expect(forB.existingTransactions).toEqual([{ transactionNumber: 'B-1', batchId: null }]);
  });

  it('answers empty lists with empty lists', async () => {
    const result = await db.rpc.call('import_check_references', {
      p_merchant_id: merchantA.merchantId,
      p_user_ids: [],
      p_sku_ids: [],
      p_transaction_numbers: [],
    });
    expect(result).toEqual({ unknownUserIds: [], unknownSkuIds: [], existingTransactions: [] });
  });

  it('checks 30k ids of each kind in one call, answering each list exactly', async () => {
    const big = await seedMerchant(db.pool, { users: 20_000, skus: 5_000 });
    // 10k of the merchant's transaction numbers already exist, 20k are new.
    await db.pool.query(
      `insert into public.purchases
         (merchant_id, user_id, transaction_number, purchased_at, total_amount)
       select $1, $2, 'BIG-' || g, now(), 1 from generate_series(0, 9999) g`,
      [big.merchantId, big.userIds[0]],
    );
    const unknownUsers = Array.from({ length: 10_000 }, () => randomUUID());
    const unknownSkus = Array.from({ length: 25_000 }, () => randomUUID());
    const args = {
      p_merchant_id: big.merchantId,
      p_user_ids: [...big.userIds, ...unknownUsers],
      p_sku_ids: [...big.skuIds, ...unknownSkus],
      p_transaction_numbers: Array.from({ length: 30_000 }, (_, i) => `BIG-${i}`),
    };
    expect(args.p_user_ids).toHaveLength(30_000);
    expect(args.p_sku_ids).toHaveLength(30_000);

    const timings: number[] = [];
    let result = await db.rpc.call('import_check_references', args);
    for (let run = 0; run < 3; run++) {
      const started = performance.now();
      result = await db.rpc.call('import_check_references', args);
      timings.push(performance.now() - started);
    }
    console.log(
      `[perf] reference check, 30k user + 30k SKU ids + 30k transaction numbers: ` +
        timings.map((ms) => `${ms.toFixed(0)} ms`).join(', '),
    );
    expect(result.unknownUserIds).toHaveLength(10_000);
    expect(new Set(result.unknownUserIds)).toEqual(new Set(unknownUsers));
    expect(result.unknownSkuIds).toHaveLength(25_000);
    expect(result.existingTransactions).toHaveLength(10_000);
    expect(result.existingTransactions.every((t) => t.batchId === null)).toBe(true);
    // The time is printed, not asserted: the budget is `npm run bench` (refcheck-30k, a ratio
    // against the same lookups written as plain SQL in the same run).
  });
});
