import { describe, expect, it } from 'vitest';
import { cancelBatch } from './cancel-batch';
import { batchDetail, fakeRpc } from './fake-rpc';

describe('cancelBatch', () => {
  it('cancels the batch, then answers it as the database now holds it', async () => {
    const cancelled = batchDetail({ status: 'cancelled', importedPurchases: 0, importedItems: 0 });
    const rpc = fakeRpc({
      import_cancel_batch: () => cancelled,
      import_get_batch: () => cancelled,
    });
    await expect(cancelBatch(rpc, cancelled.id)).resolves.toEqual(cancelled);
    expect(rpc.calls).toEqual([
      { fn: 'import_cancel_batch', args: { p_batch_id: cancelled.id } },
      { fn: 'import_get_batch', args: { p_batch_id: cancelled.id } },
    ]);
  });

  it('answers a batch that completed meanwhile as completed', async () => {
    const done = batchDetail({ status: 'completed' });
    const rpc = fakeRpc({ import_cancel_batch: () => done, import_get_batch: () => done });
    await expect(cancelBatch(rpc, done.id)).resolves.toMatchObject({ status: 'completed' });
  });
});
