import { describe, expect, it } from 'vitest';
import { fourItemsReport, S1, S2, U1, U2 } from '../../../shared/domain/four-items.fixture';
import { checkFile } from './check-file';
import { fakeRpc } from './fake-rpc';

const MERCHANT = '99999999-2222-4333-8444-555555555555';

describe('checkFile', () => {
  it('takes a parse the caller started instead of reading the file again', async () => {
    const rpc = fakeRpc({
      import_check_references: () => ({
        unknownUserIds: [U2],
        unknownSkuIds: [],
        existingTransactions: [],
      }),
    });
    const parsed = Promise.resolve({
      report: fourItemsReport,
      stats: { maxRssBytes: 0, parseMs: 0 },
    });
    // No file at this path: reading it would fail.
    const checked = await checkFile(
      rpc,
      { path: '/nonexistent/r.csv', merchantId: MERCHANT },
      { parsed },
    );
    expect(checked.localReport).toBe(fourItemsReport);
    expect(checked.reference.unknownUserIds).toEqual([U2]);
    expect(rpc.calls).toHaveLength(1);
    expect(rpc.calls[0]?.args).toMatchObject({ p_user_ids: [U1, U2], p_sku_ids: [S1, S2] });
  });
});
