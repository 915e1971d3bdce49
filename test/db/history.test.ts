import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BatchStatus } from '../../shared/db/rpc-contract';
import { RpcError } from '../../shared/db/rpc-transport';
import { ensureAuthenticatorRole } from '../support/supabase-gateway';
import {
  beginAndStage,
  buildRows,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';

let db: TestDb;
let merchant: SeededMerchant;
let other: SeededMerchant;
const ids: Record<string, string> = {};

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 5, skus: 5, name: `History ${randomUUID()}` });
  other = await seedMerchant(db.pool, { users: 1, skus: 1 });

  // Oldest first: january (completed), february (failed), march_100% (pending), april (pending).
  const jan = await beginAndStage(db.rpc, merchant, buildRows(merchant, { purchases: 2 }), {
    name: 'January import',
    fileName: 'jan.csv',
  });
  await db.rpc.call('import_commit_batch', { p_batch_id: jan.batchId });
  const febRows = buildRows(merchant, { purchases: 2 });
  febRows[0]!.sku_id = randomUUID();
  const feb = await beginAndStage(db.rpc, merchant, febRows, {
    name: 'February import',
    fileName: 'feb.csv',
  });
  await db.rpc.call('import_commit_batch', { p_batch_id: feb.batchId });
  const mar = await beginAndStage(db.rpc, merchant, buildRows(merchant, { purchases: 1 }), {
    name: 'March_100%',
    fileName: 'MARCH.csv',
  });
  const apr = await beginAndStage(db.rpc, merchant, buildRows(merchant, { purchases: 1 }), {
    fileName: 'april.csv',
  });
  await beginAndStage(db.rpc, other, buildRows(other, { purchases: 1 }), { name: 'January other' });
  Object.assign(ids, { jan: jan.batchId, feb: feb.batchId, mar: mar.batchId, apr: apr.batchId });
});
afterAll(async () => {
  await db.close();
});

async function list(
  options: {
    status?: BatchStatus | null;
    search?: string | null;
    limit?: number;
    offset?: number;
  } = {},
) {
  return db.rpc.call('import_list_batches', {
    p_merchant_id: merchant.merchantId,
    p_status: options.status ?? null,
    p_search: options.search ?? null,
    p_limit: options.limit ?? 50,
    p_offset: options.offset ?? 0,
  });
}

describe('import_list_batches', () => {
  it('lists the merchant’s batches newest first with their totals', async () => {
    const page = await list();
    expect(page.total).toBe(4);
    expect(page.batches.map((b) => b.id)).toEqual([ids.apr, ids.mar, ids.feb, ids.jan]);
    expect(page.batches.map((b) => b.status)).toEqual([
      'pending',
      'pending',
      'failed',
      'completed',
    ]);
    const jan = page.batches[3]!;
    expect(jan).toMatchObject({
      name: 'January import',
      fileName: 'jan.csv',
      totalRows: 6,
      stagedRows: 6,
      importedPurchases: 2,
      importedItems: 6,
      errorCount: 0,
    });
    expect(page.batches[2]).toMatchObject({
      errorCount: 1,
      errorMessage: '1 row refused: 1 unknown SKU id',
    });
    // A summary, not the detail: no errors array in list entries.
    expect(Object.keys(jan)).not.toContain('errors');
  });

  it('filters by status and searches names, file names and id prefixes', async () => {
    expect((await list({ status: 'pending' })).batches.map((b) => b.id)).toEqual([
      ids.apr,
      ids.mar,
    ]);
    expect((await list({ status: 'failed' })).batches.map((b) => b.id)).toEqual([ids.feb]);
    expect((await list({ status: 'processing' })).total).toBe(0);
    expect((await list({ search: 'january' })).batches.map((b) => b.id)).toEqual([ids.jan]);
    expect((await list({ search: 'march.CSV' })).batches.map((b) => b.id)).toEqual([ids.mar]);
    expect(
      (await list({ search: ids.feb!.slice(0, 8).toUpperCase() })).batches.map((b) => b.id),
    ).toEqual([ids.feb]);
    // LIKE wildcards in the search text are literal characters.
    expect((await list({ search: '%' })).batches.map((b) => b.id)).toEqual([ids.mar]);
    expect((await list({ search: '_1' })).batches.map((b) => b.id)).toEqual([ids.mar]);
    expect((await list({ search: 'import', status: 'completed' })).total).toBe(1);
    expect((await list({ search: '   ' })).total).toBe(4);
  });

  it('pages with limit and offset while reporting the full total', async () => {
    const first = await list({ limit: 3, offset: 0 });
    const second = await list({ limit: 3, offset: 3 });
    const beyond = await list({ limit: 3, offset: 10 });
    expect(first.batches.map((b) => b.id)).toEqual([ids.apr, ids.mar, ids.feb]);
    expect(second.batches.map((b) => b.id)).toEqual([ids.jan]);
    expect(beyond).toEqual({ batches: [], total: 4 });
    expect([first.total, second.total]).toEqual([4, 4]);
  });

  it('refuses an unknown status', async () => {
    const error = await list({ status: 'done' as BatchStatus }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).message).toContain('Unknown batch status');
  });
});

describe('import_get_batch', () => {
  it('returns the summary with the per-row errors', async () => {
    const feb = await db.rpc.call('import_get_batch', { p_batch_id: ids.feb! });
    expect(feb).toMatchObject({
      id: ids.feb,
      merchantId: merchant.merchantId,
      status: 'failed',
      name: 'February import',
      createdBy: 'postgres',
      errorCount: 1,
    });
    expect(feb.errors).toEqual([
      expect.objectContaining({ row: 2, code: 'unknown_sku', column: 'sku_id' }),
    ]);
    for (const time of [feb.createdAt, feb.startedAt, feb.completedAt]) {
      expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });

  it('names the caller from the JWT claims when PostgREST supplies them', async () => {
    const client = await db.pool.connect();
    try {
      await ensureAuthenticatorRole(db.pool);
      await client.query('begin');
      // As PostgREST's session with the service key: claims count only on its sessions.
      await client.query('set local session authorization authenticator');
      await client.query(
        `select set_config('role', 'service_role', true),
                set_config('request.jwt.claims', '{"sub":"0b7c","email":"ops@example.test"}', true)`,
      );
      const result = await client.query<{ r: { createdBy: string } }>(
        `select public.import_begin_batch(p_merchant_id => $1, p_idempotency_key => $2,
           p_name => null, p_file_name => null, p_file_sha256 => null, p_total_rows => 0,
           p_chunk_count => 0) as r`,
        [other.merchantId, randomUUID()],
      );
      await client.query('commit');
      expect(result.rows[0]?.r.createdBy).toBe('ops@example.test');
    } finally {
      client.release();
    }
  });
});

describe('import_begin_batch outside PostgREST', () => {
  it('ignores JWT claims a direct connection sets itself', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await client.query(
        `select set_config('request.jwt.claims', '{"sub":"0b7c","email":"ops@example.test"}', true)`,
      );
      const result = await client.query<{ r: { createdBy: string }; me: string }>(
        `select public.import_begin_batch(p_merchant_id => $1, p_idempotency_key => $2,
           p_name => null, p_file_name => null, p_file_sha256 => null, p_total_rows => 0,
           p_chunk_count => 0) as r, session_user::text as me`,
        [other.merchantId, randomUUID()],
      );
      await client.query('commit');
      expect(result.rows[0]?.r.createdBy).toBe(result.rows[0]?.me);
    } finally {
      client.release();
    }
  });
});

describe('import_list_merchants', () => {
  it('lists merchants ordered by name', async () => {
    const { merchants } = await db.rpc.call('import_list_merchants', {});
    expect(merchants).toContainEqual({ id: merchant.merchantId, name: merchant.name });
    const names = merchants.map((m) => m.name);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });
});
