import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { commitImport, commitOrReconcile } from '../../shared/db/commit-import';
import type { ImportRpc } from '../../shared/db/import-rpc';
import { importFile } from '../../electron/core/use-cases';
import {
  beginAndStage,
  buildRows,
  countImported,
  seedMerchant,
  type SeededMerchant,
} from '../support/seed';
import { openSupabaseTestEnv, type SupabaseTestEnv } from '../support/supabase-env';

// The engine's scenarios through supabase-js and the gateway double, as a signed-in operator
// (support for re-check and retry): the same SQL as the pg transport, reached over HTTP.

let env: SupabaseTestEnv;
let merchant: SeededMerchant;
let operator: ImportRpc;
let support: ImportRpc;
let dir: string;

beforeAll(async () => {
  env = await openSupabaseTestEnv(inject('databaseUrl'));
  merchant = await seedMerchant(env.db.pool, { users: 10, skus: 10 });
  const op = await env.createOperator({ [merchant.merchantId]: 'operator' }, 'engine-op');
  const sup = await env.createOperator({ [merchant.merchantId]: 'support' }, 'engine-support');
  operator = (await env.signIn(op.email, op.password)).rpc;
  support = (await env.signIn(sup.email, sup.password)).rpc;
  dir = await mkdtemp(join(tmpdir(), 'supabase-engine-'));
});
afterAll(async () => {
  await env?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const HEADER = 'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price,currency';

async function csv(lines: string[]): Promise<string> {
  const path = join(dir, `${randomUUID()}.csv`);
  await writeFile(path, `${HEADER}\n${lines.join('\n')}\n`);
  return path;
}

function line(tx: string, user: string, sku: string, price = '2.50'): string {
  return `${tx},${user},2026-03-01T10:00:00Z,${sku},2,${price},EUR`;
}

describe('the engine through supabase-js', () => {
  it('imports a valid file as one completed batch', async () => {
    const tag = randomUUID().slice(0, 6);
    const [u1, u2] = merchant.userIds as [string, string];
    const [s1, s2] = merchant.skuIds as [string, string];
    const path = await csv([
      line(`${tag}-1`, u1, s1),
      line(`${tag}-1`, u1, s2),
      line(`${tag}-2`, u2, s1),
    ]);
    const outcome = await importFile(operator, { path, merchantId: merchant.merchantId });
    expect(outcome.kind).toBe('batch');
    if (outcome.kind !== 'batch') return;
    expect(outcome.batch).toMatchObject({
      status: 'completed',
      importedPurchases: 2,
      importedItems: 3,
    });
    expect(await countImported(env.db.pool, outcome.batch.id)).toEqual({ purchases: 2, items: 3 });
  });

  it('stages a file while reading it as a signed-in operator, and leaves nothing of a refused one', async () => {
    const tag = randomUUID().slice(0, 6);
    const lines = Array.from({ length: 30 }, (_, i) =>
      line(
        `${tag}-${i}`,
        merchant.userIds[i % merchant.userIds.length] ?? '',
        merchant.skuIds[i % merchant.skuIds.length] ?? '',
      ),
    );
    const path = await csv(lines);
    const outcome = await importFile(operator, {
      path,
      merchantId: merchant.merchantId,
      stream: true,
      chunkRows: 7,
    });
    if (outcome.kind !== 'batch') throw new Error(`expected a batch, got ${outcome.kind}`);
    expect(outcome.batch).toMatchObject({ status: 'completed', importedPurchases: 30 });
    const sealed = await env.db.pool.query<{ total_rows: number; chunk_count: number }>(
      'select total_rows, chunk_count from public.bulk_import_batches where id = $1',
      [outcome.batch.id],
    );
    expect(sealed.rows[0]).toEqual({ total_rows: 30, chunk_count: 5 });

    const batches = async (): Promise<number> =>
      (
        await env.db.pool.query<{ n: number }>(
          'select count(*)::int as n from public.bulk_import_batches where merchant_id = $1',
          [merchant.merchantId],
        )
      ).rows[0]?.n ?? -1;
    const before = await batches();
    const refused = await csv([...lines.map((l) => l.replace(tag, `${tag}r`)), `${tag}-x,,,,,,`]);
    const outcome2 = await importFile(operator, {
      path: refused,
      merchantId: merchant.merchantId,
      stream: true,
      chunkRows: 7,
    });
    expect(outcome2.kind).toBe('refused-locally');
    expect(await batches()).toBe(before);
  });

  it('records unknown ids as a failed batch that support re-checks and retries', async () => {
    const tag = randomUUID().slice(0, 6);
    const unknownSku = randomUUID();
    const path = await csv([line(`${tag}-1`, merchant.userIds[0] ?? '', unknownSku)]);
    const outcome = await importFile(operator, { path, merchantId: merchant.merchantId });
    // The preview already names the unknown SKU; the database records the refusal.
    expect(outcome.checked.reference.unknownSkuIds).toEqual([unknownSku]);
    const { batchId } = await beginAndStage(operator, merchant, [
      { ...buildRows(merchant, { purchases: 1, itemsPerPurchase: 1 })[0]!, sku_id: unknownSku },
    ]);
    const failed = await operator.call('import_commit_batch', { p_batch_id: batchId });
    expect(failed.status).toBe('failed');
    expect(failed.errors.map((e) => e.value)).toContain(unknownSku);

    await env.db.pool.query(
      "insert into public.skus (id, merchant_id, code, name) values ($1, $2, 'LATE', 'Late SKU')",
      [unknownSku, merchant.merchantId],
    );
    expect((await support.call('import_recheck_batch', { p_batch_id: batchId })).ok).toBe(true);
    expect((await support.call('import_commit_batch', { p_batch_id: batchId })).status).toBe(
      'completed',
    );
  });

  it('rolls back the whole batch when one purchase conflicts at commit time', async () => {
    const rows = buildRows(merchant, { purchases: 20 });
    const { batchId } = await beginAndStage(operator, merchant, rows);
    // Another writer takes one transaction number between staging and commit.
    await env.db.pool.query(
      `insert into public.purchases (merchant_id, user_id, transaction_number, purchased_at, total_amount)
       values ($1, $2, $3, now(), 1)`,
      [merchant.merchantId, merchant.userIds[0], rows[30]?.transaction_number],
    );
    const result = await operator.call('import_commit_batch', { p_batch_id: batchId });
    expect(result.status).toBe('failed');
    expect(await countImported(env.db.pool, batchId)).toEqual({ purchases: 0, items: 0 });
  });

  it('is idempotent: the same attempt resent lands once', async () => {
    const rows = buildRows(merchant, { purchases: 8 });
    const key = randomUUID();
    const first = await beginAndStage(operator, merchant, rows, { key, chunkSize: 6 });
    const again = await beginAndStage(operator, merchant, rows, { key, chunkSize: 6 });
    expect(again.batchId).toBe(first.batchId);
    const done = await commitOrReconcile(operator, first.batchId);
    const twice = await commitOrReconcile(operator, first.batchId);
    expect(twice).toEqual(done);
    expect(await countImported(env.db.pool, first.batchId)).toEqual({ purchases: 8, items: 24 });
  });

  it('commits concurrently sent commits of one batch once, and of rival batches one', async () => {
    const rows = buildRows(merchant, { purchases: 30 });
    const { batchId } = await beginAndStage(operator, merchant, rows);
    const results = await Promise.all(
      [1, 2, 3].map(() => operator.call('import_commit_batch', { p_batch_id: batchId })),
    );
    expect(results.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
    expect(await countImported(env.db.pool, batchId)).toEqual({ purchases: 30, items: 90 });

    const shared = buildRows(merchant, { purchases: 10 });
    const x = await beginAndStage(operator, merchant, shared);
    const y = await beginAndStage(operator, merchant, shared);
    const [rx, ry] = await Promise.all([
      operator.call('import_commit_batch', { p_batch_id: x.batchId }),
      operator.call('import_commit_batch', { p_batch_id: y.batchId }),
    ]);
    expect([rx.status, ry.status].sort()).toEqual(['completed', 'failed']);
  });

  it('lists history newest first and reads one batch with its errors', async () => {
    const batch = await commitImport(operator, {
      merchantId: merchant.merchantId,
      name: `history ${randomUUID().slice(0, 6)}`,
      fileName: 'history.csv',
      fileSha256: null,
      purchases: [],
      idempotencyKey: randomUUID(),
    });
    const page = await support.call('import_list_batches', {
      p_merchant_id: merchant.merchantId,
      p_status: null,
      p_search: batch.name,
      p_limit: 5,
      p_offset: 0,
    });
    expect(page.batches.map((b) => b.id)).toEqual([batch.id]);
    expect((await support.call('import_get_batch', { p_batch_id: batch.id })).errors).toEqual([]);
  });
});
