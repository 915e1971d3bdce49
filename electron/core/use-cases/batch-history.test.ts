import { describe, expect, it } from 'vitest';
import type { RemoteRowError } from '../../../shared/db/rpc-contract';
import { batchErrors, getBatch } from './batch-history';
import { batchDetail, fakeRpc } from './fake-rpc';

const ID = '11111111-2222-4333-8444-555555555555';
const error = (row: number): RemoteRowError => ({
  row,
  column: 'sku_id',
  code: 'unknown_sku',
  message: `row ${row}`,
  value: null,
});

describe('batch history', () => {
  it("batchErrors reads every page in row order, each after the last one's key", async () => {
    const pages = [
      { batchId: ID, errors: [error(2), error(3)], next: { row: 3, column: 'sku_id' }, total: 3 },
      { batchId: ID, errors: [error(4)], next: null, total: 3 },
    ];
    const rpc = fakeRpc({ import_list_batch_errors: () => pages.shift() ?? pages[0]! });
    const rows: number[] = [];
    for await (const e of batchErrors(rpc, ID, 2)) rows.push(e.row);
    expect(rows).toEqual([2, 3, 4]);
    expect(rpc.calls.map((c) => c.args)).toEqual([
      expect.objectContaining({ p_after_row: null, p_after_column: null, p_limit: 2 }),
      expect.objectContaining({ p_after_row: 3, p_after_column: 'sku_id', p_limit: 2 }),
    ]);
  });

  it("getBatch leaves the error page to the database's default unless one is asked for", async () => {
    const rpc = fakeRpc({ import_get_batch: () => batchDetail() });
    await getBatch(rpc, ID);
    await getBatch(rpc, ID, { errorsLimit: 4, errorsOffset: 6 });
    expect(rpc.calls.map((c) => c.args)).toEqual([
      { p_batch_id: ID },
      { p_batch_id: ID, p_errors_limit: 4, p_errors_offset: 6 },
    ]);
  });
});
