import { describe, expect, it } from 'vitest';
import { batchDetail, fakeRpc } from './fake-rpc';
import { retryBatch } from './retry-batch';

describe('retryBatch', () => {
  it('refuses to commit a completed batch again: it answers the batch as it is', async () => {
    const done = batchDetail({ status: 'completed' });
    const rpc = fakeRpc({ import_get_batch: () => done });
    await expect(retryBatch(rpc, done.id)).resolves.toEqual(done);
    expect(rpc.calls.map((c) => c.fn)).toEqual(['import_get_batch']);
  });

  it('commits a failed batch from its staged rows and answers what the database decided', async () => {
    const failed = batchDetail({ status: 'failed', importedPurchases: 0, importedItems: 0 });
    const rpc = fakeRpc({
      import_get_batch: () => failed,
      import_commit_batch: () => ({ ...failed, status: 'completed', importedPurchases: 2 }),
    });
    const result = await retryBatch(rpc, failed.id);
    expect(result).toMatchObject({ status: 'completed', importedPurchases: 2 });
    expect(rpc.calls).toEqual([
      { fn: 'import_get_batch', args: { p_batch_id: failed.id } },
      { fn: 'import_commit_batch', args: { p_batch_id: failed.id } },
    ]);
  });
});
