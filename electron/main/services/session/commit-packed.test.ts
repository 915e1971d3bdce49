import { describe, expect, it } from 'vitest';
import { commitImport } from '../../../../shared/db/commit-import';
import { batchSummarySchema, type StagedChunk } from '../../../../shared/db/rpc-contract';
import { stagedRowsOf } from '../../../../shared/db/staging';
import { analyseCsvText } from '../../../../shared/domain/analyse';
import { packPurchases } from '../../../../shared/domain/packed-report';
import { PurchaseList } from '../../../../shared/domain/purchase-list';
import { batchDetail, fakeRpc } from '../../../core/use-cases/fake-rpc';

// Issue 18: the session commits its purchases packed, each chunk made as it is sent. It must
// stage exactly what the same purchases as objects stage: same rows, same chunks, same order.

const U1 = '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01';
const S1 = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';
const S2 = '7f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e6';

const csv = [
  'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price,currency,total_amount,store_code,notes',
  `T1,${U1},2026-03-04T10:15:00Z,${S1},2,12.50,EUR,,S1,"a, note"`,
  `T2,${U1},2026-03-05T10:15:00Z,${S2},1,3.00,,,,`,
  `T1,${U1},2026-03-04T10:15:00Z,${S2},1,1.25,EUR,,S1,`,
  `T3,${U1},2026-03-06T10:15:00Z,${S1},4,0.99,USD,,S2,other`,
  `T3,${U1},2026-03-06T10:15:00Z,${S1},1,0.99,USD,,S2,`,
  `T3,${U1},2026-03-06T10:15:00Z,${S2},1,0.01,USD,,S2,`,
  `T4,${U1},2026-03-07T10:15:00Z,${S2},7,2.00,EUR,14.00,,`,
].join('\n');

async function staged(purchases: Parameters<typeof commitImport>[1]['purchases']) {
  const pending = batchDetail({ status: 'pending', stagedRows: 0, totalRows: 7 });
  const rpc = fakeRpc({
    import_begin_batch: () => batchSummarySchema.parse(pending),
    import_stage_chunk: () => ({
      batchId: pending.id,
      chunkNo: 0,
      rowCount: 1,
      duplicate: false,
      stagedRows: 1,
    }),
    import_commit_batch: () => batchDetail({ importedPurchases: 4, importedItems: 7 }),
  });
  await commitImport(
    rpc,
    {
      merchantId: '99999999-2222-4333-8444-555555555555',
      name: null,
      fileName: 'f.csv',
      fileSha256: null,
      purchases,
      idempotencyKey: 'key-1',
      chunkRows: 3,
      stageConcurrency: 1,
    },
    {},
  );
  return rpc.calls.filter((c) => c.fn !== 'import_commit_batch').map((c) => c.args);
}

describe('the session commit of packed purchases', () => {
  it('stages the same rows in the same chunks and order as the purchases as objects', async () => {
    const { purchases, errors } = analyseCsvText(csv, {}, 'f.csv');
    expect(errors).toEqual([]);
    const asObjects = await staged(purchases);
    const packed = PurchaseList.fromPacked(packPurchases(purchases));
    expect(await staged(packed)).toEqual(asObjects);
    // Three chunks of whole purchases (T1+T2, T3, T4), seven rows in all.
    expect(asObjects).toHaveLength(4);
    expect(asObjects[0]).toMatchObject({ p_total_rows: 7, p_chunk_count: 3 });
    // A subset, as the reference check leaves it: only those purchases, in order.
    const some = packed.select([1, 3]);
    const rows = (await staged(some)).slice(1) as { p_rows: StagedChunk }[];
    expect(rows.flatMap((c) => stagedRowsOf(c.p_rows).map((r) => r.transaction_number))).toEqual([
      'T2',
      'T4',
    ]);
  });
});
