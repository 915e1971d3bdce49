import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StagedRow } from '../../shared/db/rpc-contract';
import { RpcError } from '../../shared/db/rpc-transport';
import {
  beginAndStage,
  buildRows,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';

// What import_stage_chunk writes for each row (sql/schema/05_batch_lifecycle.sql): the ids,
// line numbers and items' sums the commit inserts with, and nothing for a chunk it refuses.

let db: TestDb;
let merchant: SeededMerchant;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 20, skus: 30 });
});
afterAll(async () => {
  await db.close();
});

interface StagedIds {
  chunk_no: number;
  row_number: number;
  transaction_number: string;
  purchase_id: string;
  item_id: string;
  line_number: number;
  items_sum: string | null;
}

async function stagedIds(batchId: string): Promise<StagedIds[]> {
  const result = await db.pool.query<StagedIds>(
    `select chunk_no, row_number, transaction_number, purchase_id::text, item_id::text, line_number,
            items_sum::text
     from public.bulk_import_staged_rows where batch_id = $1 order by row_number`,
    [batchId],
  );
  return result.rows;
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('import_stage_chunk', () => {
  it('gives each transaction one time-ordered purchase id, each row its own item id, line numbers in file order and the sum on line 1', async () => {
    // Transactions of 1 to 4 items, two chunks; one transaction's rows are not next to each other.
    const built = buildRows(merchant, { purchases: 40, itemsPerPurchase: (i) => 1 + (i % 4) });
    const moved = built.splice(3, 1)[0];
    if (!moved) throw new Error('no row to move');
    built.splice(8, 0, moved);
    const rows = built.map((r, i) => ({ ...r, row: i + 2 }));
    const { batchId } = await beginAndStage(db.rpc, merchant, rows, { chunkSize: 50 });
    const staged = await stagedIds(batchId);
    expect(staged).toHaveLength(rows.length);

    const items = new Set(staged.map((s) => s.item_id));
    expect(items.size).toBe(staged.length);
    const byTransaction = new Map<string, StagedIds[]>();
    for (const s of staged) {
      expect(s.purchase_id).toMatch(UUID_V7);
      expect(s.item_id).toMatch(UUID_V7);
      byTransaction.set(s.transaction_number, [
        ...(byTransaction.get(s.transaction_number) ?? []),
        s,
      ]);
    }
    const purchaseIds = new Set<string>();
    for (const [transaction, lines] of byTransaction) {
      // One purchase id per transaction, not shared with any other.
      expect(new Set(lines.map((l) => l.purchase_id)).size, transaction).toBe(1);
      purchaseIds.add(lines[0]?.purchase_id ?? '');
      expect(lines.map((l) => l.line_number)).toEqual(lines.map((_, i) => i + 1));
      const sent = rows.filter((r) => r.transaction_number === transaction);
      const sum = sent.reduce((total, r) => total + r.quantity * Number(r.unit_price), 0);
      expect(Number(lines[0]?.items_sum)).toBeCloseTo(sum, 2);
      expect(lines.slice(1).every((l) => l.items_sum === null)).toBe(true);
    }
    expect(purchaseIds.size).toBe(byTransaction.size);
    // Time-ordered within a chunk: the ids rise with the spreadsheet row.
    const firstChunk = staged.filter((s) => s.chunk_no === 0);
    const itemOrder = firstChunk.map((s) => s.item_id);
    expect(itemOrder).toEqual([...itemOrder].sort());
  });

  it('refuses a chunk with a row without a transaction number whole, staging none of its rows', async () => {
    // The grouping joined back to the rows left such a row out and recorded the chunk with it
    // counted: a row went missing without a word.
    const rows: StagedRow[] = buildRows(merchant, { purchases: 2, itemsPerPurchase: 2 });
    const broken = rows.map((r, i) => (i === 3 ? { ...r, transaction_number: null } : r));
    const batch = await db.rpc.call('import_begin_batch', {
      p_merchant_id: merchant.merchantId,
      p_idempotency_key: randomUUID(),
      p_name: null,
      p_file_name: null,
      p_file_sha256: null,
      p_total_rows: rows.length,
      p_chunk_count: 1,
    });
    const error = await db.rpc
      .call('import_stage_chunk', {
        p_batch_id: batch.id,
        p_chunk_no: 0,
        p_rows: broken as unknown as StagedRow[],
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).message).toContain('transaction_number');
    expect(await stagedIds(batch.id)).toEqual([]);
    expect((await db.rpc.call('import_get_batch', { p_batch_id: batch.id })).stagedRows).toBe(0);
  });
});
