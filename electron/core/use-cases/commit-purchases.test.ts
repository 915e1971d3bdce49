import { describe, expect, it } from 'vitest';
import { batchSummarySchema } from '../../../shared/db/rpc-contract';
import type { Purchase } from '../../../shared/domain/types';
import { commitPurchases } from './commit-purchases';
import { batchDetail, fakeRpc } from './fake-rpc';

const purchase: Purchase = {
  transactionNumber: 'T1',
  userId: '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01',
  purchasedAt: '2026-01-01T08:00:00.000Z',
  currency: 'EUR',
  totalAmountCents: 250,
  storeCode: null,
  notes: null,
  rows: [2],
  items: [
    {
      row: 2,
      lineNumber: 1,
      skuId: '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5',
      quantity: 1,
      unitPriceCents: 250,
    },
  ],
};
const input = {
  merchantId: '99999999-2222-4333-8444-555555555555',
  name: null,
  fileName: 'f.csv',
  fileSha256: null,
  purchases: [purchase],
  idempotencyKey: 'key-1',
};
const pending = batchDetail({ status: 'pending', stagedRows: 0, totalRows: 1 });
// import_begin_batch answers the summary (zod drops the detail's extra fields).
const summary = batchSummarySchema.parse(pending);

describe('commitPurchases', () => {
  it('answers the batch the database committed', async () => {
    const rpc = fakeRpc({
      import_begin_batch: () => summary,
      import_stage_chunk: () => ({
        batchId: pending.id,
        chunkNo: 0,
        rowCount: 1,
        duplicate: false,
        stagedRows: 1,
      }),
      import_commit_batch: () => batchDetail({ importedPurchases: 1, importedItems: 1 }),
    });
    const outcome = await commitPurchases(rpc, input);
    expect(outcome).toMatchObject({ kind: 'batch', batch: { status: 'completed' } });
  });

  it('a cancel before the commit step is an outcome with the cancelled batch read back', async () => {
    const controller = new AbortController();
    const rpc = fakeRpc({
      import_begin_batch: () => summary,
      import_stage_chunk: () => {
        controller.abort(); // the user presses Cancel while the chunk travels
        return { batchId: pending.id, chunkNo: 0, rowCount: 1, duplicate: false, stagedRows: 1 };
      },
      import_cancel_batch: () => ({ ...summary, status: 'cancelled' }),
      import_get_batch: () => ({ ...pending, status: 'cancelled' }),
    });
    const outcome = await commitPurchases(rpc, input, { signal: controller.signal });
    expect(outcome).toMatchObject({
      kind: 'cancelled',
      batchCancelled: true,
      batch: { id: pending.id, status: 'cancelled' },
    });
    expect(rpc.calls.map((c) => c.fn)).not.toContain('import_commit_batch');
  });

  it('cancelled before anything was begun: no batch, nothing asked of the database', async () => {
    const controller = new AbortController();
    controller.abort();
    const rpc = fakeRpc({});
    const outcome = await commitPurchases(rpc, input, { signal: controller.signal });
    expect(outcome).toMatchObject({ kind: 'cancelled', batch: null, batchCancelled: false });
    expect(rpc.calls).toEqual([]);
  });
});
