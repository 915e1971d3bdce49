import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StagedChunk, StagedRow } from '../../shared/db/rpc-contract';
import { RpcError } from '../../shared/db/rpc-transport';
import { stagedChunkOf } from '../../shared/db/staging';
import {
  buildRows,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';

// A chunk as columns (what the app sends since issue 14's staging change; sql/schema/05's
// chunk_columns) stands for exactly the rows it encodes: it stages what the same rows as objects
// stage, its hash and the resend comparison see every column, and malformed columns are refused.

let db: TestDb;
let merchant: SeededMerchant;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 6, skus: 8 });
});
afterAll(async () => {
  await db.close();
});

async function begin(rows: number, chunks = 1): Promise<string> {
  const batch = await db.rpc.call('import_begin_batch', {
    p_merchant_id: merchant.merchantId,
    p_idempotency_key: randomUUID(),
    p_name: null,
    p_file_name: null,
    p_file_sha256: null,
    p_total_rows: rows,
    p_chunk_count: chunks,
  });
  return batch.id;
}

function stage(batchId: string, rows: StagedChunk | StagedRow[], chunkNo = 0) {
  return db.rpc.call('import_stage_chunk', {
    p_batch_id: batchId,
    p_chunk_no: chunkNo,
    p_rows: rows,
  });
}

async function refusal(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RpcError);
  return (error as RpcError).message;
}

/** Rows of three purchases; the second names its member and one SKU by key (natural keys). */
function sampleRows(): StagedRow[] {
  const rows = buildRows(merchant, { purchases: 3, itemsPerPurchase: 3, withTotals: true });
  return rows.map((r, i) => ({
    ...r,
    notes: i === 1 ? 'a "quoted", {braced} note\\' : r.notes,
    ...(r.transaction_number.endsWith('-1') ? { user_email: 'Buyer@Example.com' } : {}),
    ...(i === 4 ? { sku_code: 'SKU 4' } : {}),
  }));
}

/** The rows as columns with each row its own purchase entry (another spelling of them). */
function entryPerRow(rows: readonly StagedRow[]): StagedChunk {
  const single = rows.map((r) => stagedChunkOf([r]) as Record<string, string | undefined>);
  const names = new Set(single.flatMap((c) => Object.keys(c)));
  const joined: Record<string, string> = {};
  for (const name of names) {
    joined[name] = `{${single.map((c) => c[name]?.slice(1, -1) ?? 'NULL').join(',')}}`;
  }
  joined.purchase = `{${rows.map((_, i) => i + 1).join(',')}}`;
  return joined as StagedChunk;
}

async function stagedRows(batchId: string): Promise<Record<string, unknown>[]> {
  const result = await db.pool.query<Record<string, unknown>>(
    `select row_number, transaction_number, user_id, purchased_at, sku_id, quantity,
            unit_price::text, currency, total_amount::text, store_code, notes, user_email,
            sku_code, line_number, items_sum::text
     from public.bulk_import_staged_rows where batch_id = $1 order by row_number`,
    [batchId],
  );
  return result.rows;
}

async function chunkRecord(batchId: string): Promise<Record<string, unknown>> {
  const result = await db.pool.query<Record<string, unknown>>(
    `select row_count, errors, transaction_numbers, user_ids, sku_ids, user_keys, user_key_ids,
            sku_keys, sku_key_ids
     from public.bulk_import_staged_chunks where batch_id = $1`,
    [batchId],
  );
  return result.rows[0] ?? {};
}

describe('a chunk as columns', () => {
  it('stages exactly what the same rows as objects stage', async () => {
    const rows = sampleRows();
    // A transaction whose rows are not next to each other, and a row that breaks a chunk rule
    // (its purchase time differs from its transaction's first row): both shapes agree on it.
    rows.push({ ...(rows[0] as StagedRow), row: 20, purchased_at: '2026-02-01T00:00:00.000Z' });
    const asObjects = await begin(rows.length);
    const asColumns = await begin(rows.length);
    await stage(asObjects, rows);
    await stage(asColumns, stagedChunkOf(rows));
    const staged = await stagedRows(asColumns);
    expect(staged).toHaveLength(rows.length);
    expect(staged).toEqual(await stagedRows(asObjects));
    const record = await chunkRecord(asColumns);
    expect(record).toEqual(await chunkRecord(asObjects));
    expect(record.errors).not.toEqual([]);
  });

  it('answers duplicate to a resend in either shape, and refuses one that differs in any one column', async () => {
    const rows = sampleRows();
    const batchId = await begin(rows.length);
    const sent = stagedChunkOf(rows);
    expect(sent.user_email).toBeDefined();
    expect(sent.sku_code).toBeDefined();
    expect((await stage(batchId, sent)).duplicate).toBe(false);
    expect((await stage(batchId, sent)).duplicate).toBe(true);
    // Spelled otherwise (hash differs, same rows): rows as objects, each row its own purchase
    // entry, the keys in another order.
    expect((await stage(batchId, rows)).duplicate).toBe(true);
    const oneEntryPerRow = entryPerRow(rows);
    expect(oneEntryPerRow.purchase).toBe(`{${rows.map((_, i) => i + 1).join(',')}}`);
    expect((await stage(batchId, oneEntryPerRow)).duplicate).toBe(true);
    const reordered = Object.fromEntries(Object.entries(sent).reverse()) as StagedChunk;
    expect((await stage(batchId, reordered)).duplicate).toBe(true);

    const changes: Record<keyof StagedRow, unknown> = {
      row: 30,
      transaction_number: 'other',
      user_id: merchant.userIds[5],
      purchased_at: '2026-05-05T05:05:05.000Z',
      sku_id: merchant.skuIds[7],
      quantity: 9,
      unit_price: '99.99',
      currency: 'USD',
      total_amount: '1.00',
      store_code: 'elsewhere',
      notes: 'changed',
      user_email: 'someone@example.com',
      sku_code: 'OTHER',
    };
    for (const [column, value] of Object.entries(changes)) {
      const changed = rows.map((r, i) => (i === 4 ? { ...r, [column]: value } : r));
      const message = await refusal(stage(batchId, stagedChunkOf(changed)));
      expect(message, column).toContain('already staged with different rows');
    }
    // Rows moved between purchase entries (same values per column, other pairing).
    const swapped = { ...sent, purchase: sent.purchase.replace(/^\{1,1,1,2/, '{1,1,2,1') };
    expect(swapped.purchase).not.toBe(sent.purchase);
    expect(await refusal(stage(batchId, swapped))).toContain('already staged with different rows');
  });

  it('refuses columns of unequal length, a row without a purchase entry and other shapes', async () => {
    const rows = sampleRows();
    const sent = stagedChunkOf(rows);
    const batchId = await begin(rows.length);
    expect(await refusal(stage(batchId, { ...sent, quantity: '{1,2}' }))).toContain(
      'per-row columns',
    );
    expect(await refusal(stage(batchId, { ...sent, currency: '{EUR}' }))).toContain(
      'purchase columns',
    );
    expect(
      await refusal(stage(batchId, { ...sent, purchase: sent.purchase.replace(/^\{1,/, '{7,') })),
    ).toContain('"purchase"');
    expect(
      await refusal(
        stage(batchId, { ...sent, purchase: sent.purchase.replace(/^\{1,/, '{NULL,') }),
      ),
    ).toContain('"purchase"');
    expect(await refusal(stage(batchId, 'rows' as unknown as StagedChunk))).toContain(
      'JSON object of columns',
    );
    expect(await refusal(stage(batchId, { ...sent, sku_id: '{not-a-uuid}' }))).toMatch(/uuid/);
    expect(await refusal(stage(batchId, { row: '{}', purchase: '{}' }))).toContain('no rows');
    const { rows: none } = await db.pool.query(
      'select 1 from public.bulk_import_staged_rows where batch_id = $1',
      [batchId],
    );
    expect(none).toEqual([]);
    // Still stageable as sent.
    expect((await stage(batchId, sent)).rowCount).toBe(rows.length);
  });
});
