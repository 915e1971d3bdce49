import { describe, expect, it } from 'vitest';
import { fakeRpc } from './fake-rpc';
import { recheckBatch } from './recheck-batch';

const ID = '11111111-2222-4333-8444-555555555555';
const verdict = {
  ok: true,
  batchId: ID,
  summary: null,
  causes: [],
  resolved: [],
  errorTotal: 0,
  errorRows: 0,
  errors: [],
  unknownUserIds: [],
  unknownSkuIds: [],
  existingTransactions: [],
};

describe('recheckBatch', () => {
  it("asks for today's verdict with the page the door wants (first 50 rows by default)", async () => {
    const rpc = fakeRpc({ import_recheck_batch: () => verdict });
    await expect(recheckBatch(rpc, ID)).resolves.toMatchObject(verdict);
    await recheckBatch(rpc, ID, { limit: 100, offset: 200 });
    expect(rpc.calls.map((c) => c.args)).toEqual([
      { p_batch_id: ID, p_errors_limit: 50, p_errors_offset: 0 },
      { p_batch_id: ID, p_errors_limit: 100, p_errors_offset: 200 },
    ]);
  });
});
