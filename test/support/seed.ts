import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createImportRpc, type ImportRpc } from '../../shared/db/import-rpc';
import type { StagedRow } from '../../shared/db/rpc-contract';
import { stagedChunkOf } from '../../shared/db/staging';
import type { Purchase } from '../../shared/domain/types';
import { createPgTransport } from '../../electron/core/db/pg-transport';

// Test data for the db suite. Every test file works in merchants of its own, so files can run in
// parallel against one server without seeing each other's rows.

export interface SeededMerchant {
  merchantId: string;
  name: string;
  userIds: string[];
  skuIds: string[];
}

export interface TestDb {
  pool: pg.Pool;
  rpc: ImportRpc;
  close(): Promise<void>;
}

/** A pool for direct SQL plus the typed RPC client over the pg transport. */
export function openTestDb(url: string, max = 4): TestDb {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  const rpc = createImportRpc(createPgTransport({ pool }, 'test'));
  return {
    pool,
    rpc,
    close: async () => {
      await rpc.transport.close();
      await pool.end();
    },
  };
}

export async function seedMerchant(
  db: pg.Pool,
  options: { users: number; skus: number; name?: string },
): Promise<SeededMerchant> {
  const name = options.name ?? `Test merchant ${randomUUID().slice(0, 8)}`;
  const merchant = await db.query<{ id: string }>(
    'insert into public.merchants (name) values ($1) returning id',
    [name],
  );
  const merchantId = merchant.rows[0]?.id;
  if (!merchantId) throw new Error('seedMerchant: no merchant id returned');
  const users = await db.query<{ id: string }>(
    `insert into public.user_accounts (merchant_id, email)
     select $1, 'user' || g || '@example.test' from generate_series(1, $2::int) g
     returning id`,
    [merchantId, options.users],
  );
  const skus = await db.query<{ id: string }>(
    `insert into public.skus (merchant_id, code, name)
     select $1, 'SKU-' || g, 'Product ' || g from generate_series(1, $2::int) g
     returning id`,
    [merchantId, options.skus],
  );
  return {
    merchantId,
    name,
    userIds: users.rows.map((row) => row.id),
    skuIds: skus.rows.map((row) => row.id),
  };
}

export interface RowsOptions {
  purchases: number;
  /** Items per purchase (by purchase index); default 3. */
  itemsPerPurchase?: number | ((purchaseIndex: number) => number);
  /** Prefix of the transaction numbers; default a random tag. */
  prefix?: string;
  /** Write the items' sum into total_amount (default false: the database computes it). */
  withTotals?: boolean;
  /** First spreadsheet row; default 2 (row 1 is the header). */
  firstRow?: number;
}

/** Line items of `purchases` valid purchases of the merchant, in file order. */
export function buildRows(merchant: SeededMerchant, options: RowsOptions): StagedRow[] {
  const prefix = options.prefix ?? `T${randomUUID().slice(0, 8)}`;
  const itemsOf =
    typeof options.itemsPerPurchase === 'function'
      ? options.itemsPerPurchase
      : () => (options.itemsPerPurchase as number | undefined) ?? 3;
  const rows: StagedRow[] = [];
  let rowNumber = options.firstRow ?? 2;
  const start = Date.UTC(2026, 0, 1, 8, 0, 0);
  for (let i = 0; i < options.purchases; i++) {
    const items = itemsOf(i);
    const priceCents = Array.from(
      { length: items },
      (_, j) => 100 + ((i * 7919 + j * 104_729) % 9_900),
    );
    const quantities = Array.from({ length: items }, (_, j) => 1 + ((i + j) % 3));
    const totalCents = priceCents.reduce((sum, price, j) => sum + price * (quantities[j] ?? 0), 0);
    for (let j = 0; j < items; j++) {
      rows.push({
        row: rowNumber++,
        transaction_number: `${prefix}-${i}`,
        user_id: pick(merchant.userIds, i),
        purchased_at: new Date(start + i * 60_000).toISOString(),
        sku_id: pick(merchant.skuIds, i * 3 + j),
        quantity: quantities[j] ?? 1,
        unit_price: cents(priceCents[j] ?? 0),
        currency: 'EUR',
        total_amount: options.withTotals ? cents(totalCents) : null,
        store_code: `S${i % 5}`,
        notes: `purchase ${i}`,
      });
    }
  }
  return rows;
}

/** Splits rows into chunks of about `size` rows, never splitting a purchase. */
export function chunkRows(rows: readonly StagedRow[], size = 5_000): StagedRow[][] {
  const chunks: StagedRow[][] = [];
  let current: StagedRow[] = [];
  for (const [index, row] of rows.entries()) {
    current.push(row);
    const next = rows[index + 1];
    if (current.length >= size && next?.transaction_number !== row.transaction_number) {
      chunks.push(current);
      current = [];
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Chunks of `size` rows each, cut where they fall: a purchase may span two chunks. */
function splitRows(rows: readonly StagedRow[], size: number): StagedRow[][] {
  const chunks: StagedRow[][] = [];
  for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size));
  return chunks;
}

/** begin + stage every chunk; returns the batch id and each staging call's duration in ms. */
export async function beginAndStage(
  rpc: ImportRpc,
  merchant: SeededMerchant,
  rows: readonly StagedRow[],
  options: {
    name?: string;
    chunkSize?: number;
    /** Cut a chunk every this many rows, splitting purchases where they fall (instead of chunkSize). */
    splitEvery?: number;
    key?: string;
    fileName?: string;
  } = {},
): Promise<{ batchId: string; stageMs: number[]; chunks: StagedRow[][] }> {
  const chunks = options.splitEvery
    ? splitRows(rows, options.splitEvery)
    : chunkRows(rows, options.chunkSize ?? 5_000);
  const batch = await rpc.call('import_begin_batch', {
    p_merchant_id: merchant.merchantId,
    p_idempotency_key: options.key ?? randomUUID(),
    p_name: options.name ?? null,
    p_file_name: options.fileName ?? 'purchases.csv',
    p_file_sha256: null,
    p_total_rows: rows.length,
    p_chunk_count: chunks.length,
  });
  const stageMs: number[] = [];
  for (const [chunkNo, chunk] of chunks.entries()) {
    const started = performance.now();
    await rpc.call('import_stage_chunk', {
      p_batch_id: batch.id,
      p_chunk_no: chunkNo,
      // As the app sends it (columns); a test resending `chunks` sends rows as objects.
      p_rows: stagedChunkOf(chunk),
    });
    stageMs.push(performance.now() - started);
  }
  return { batchId: batch.id, stageMs, chunks };
}

/** Counts of what the batch left in the CRM tables. */
export async function countImported(
  db: pg.Pool,
  batchId: string,
): Promise<{ purchases: number; items: number }> {
  const result = await db.query<{ purchases: number; items: number }>(
    `select (select count(*)::int from public.purchases where import_batch_id = $1) as purchases,
            (select count(*)::int from public.purchase_items where import_batch_id = $1) as items`,
    [batchId],
  );
  return result.rows[0] ?? { purchases: -1, items: -1 };
}

function pick(ids: readonly string[], index: number): string {
  const id = ids[index % ids.length];
  if (id === undefined) throw new Error('seed: no ids to pick from');
  return id;
}

function cents(value: number): string {
  return `${Math.floor(value / 100)}.${String(value % 100).padStart(2, '0')}`;
}

/**
 * `count` valid purchases of the merchant as the engine hands them to commitImport: three items
 * each, in file order from row 2, totals given. Prices start at `basePriceCents` (one cent more per
 * purchase) and times at `start` (a minute apart).
 */
export function buildPurchases(
  merchant: SeededMerchant,
  count: number,
  options: { prefix?: string; basePriceCents?: number; start?: Date } = {},
): Purchase[] {
  const prefix = options.prefix ?? randomUUID().slice(0, 8);
  const base = options.basePriceCents ?? 199;
  const start = (options.start ?? new Date(Date.UTC(2026, 3, 1, 8, 0))).getTime();
  let row = 2;
  return Array.from({ length: count }, (_, i) => {
    const items = [0, 1, 2].map((j) => ({
      row: row++,
      lineNumber: j + 1,
      skuId: pick(merchant.skuIds, i + j),
      quantity: 1 + j,
      unitPriceCents: base + i,
    }));
    return {
      transactionNumber: `${prefix}-${i}`,
      userId: pick(merchant.userIds, i),
      purchasedAt: new Date(start + i * 60_000).toISOString(),
      currency: 'EUR',
      totalAmountCents: items.reduce((sum, it) => sum + it.quantity * it.unitPriceCents, 0),
      storeCode: 'S1',
      notes: null,
      rows: items.map((item) => item.row),
      items,
    };
  });
}
