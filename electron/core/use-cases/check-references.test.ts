import { describe, expect, it } from 'vitest';
import { checkReferences } from './check-references';
import { fakeRpc } from './fake-rpc';

const MERCHANT = '99999999-2222-4333-8444-555555555555';
const U1 = '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01';
const S1 = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';

describe('checkReferences', () => {
  it("asks the merchant's database about the ids and answers its verdict", async () => {
    const verdict = { unknownUserIds: [U1], unknownSkuIds: [], existingTransactions: [] };
    const rpc = fakeRpc({ import_check_references: () => verdict });
    const ids = { userIds: [U1], skuIds: [S1], transactionNumbers: ['T1'] };
    await expect(checkReferences(rpc, MERCHANT, ids)).resolves.toMatchObject(verdict);
    expect(rpc.calls).toEqual([
      {
        fn: 'import_check_references',
        args: {
          p_merchant_id: MERCHANT,
          p_user_ids: [U1],
          p_sku_ids: [S1],
          p_transaction_numbers: ['T1'],
        },
      },
    ]);
  });

  it('asks nothing when there is nothing to ask about', async () => {
    const rpc = fakeRpc({});
    await expect(
      checkReferences(rpc, MERCHANT, { userIds: [], skuIds: [], transactionNumbers: [] }),
    ).resolves.toEqual({ unknownUserIds: [], unknownSkuIds: [], existingTransactions: [] });
    expect(rpc.calls).toEqual([]);
  });
});
