import { randomUUID } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { disposeParseWorkers } from '../../electron/core/parse/parse-file';
import { importFile } from '../../electron/core/use-cases';
import { createImportRpc } from '../../shared/db/import-rpc';
import { writePurchasesCsv } from '../fixtures/generate-purchases';
import {
  countImported,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';
import { lossyTransport as lossy } from '../support/lossy-transport';

// Staging while the file is read (issue 14) against the real database: the open batch lands
// exactly once through lost answers at every step, a refused file leaves no trace, and a file
// the stream cannot stand for is imported the usual way with nothing of the stream left.

let db: TestDb;
let merchant: SeededMerchant;
let dir: string;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 20, skus: 20 });
  dir = await mkdtemp(join(tmpdir(), 'import-streamed-db-'));
});
afterAll(async () => {
  await disposeParseWorkers();
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

/** The test database's own transport, with faults on chosen calls. */
function lossyTransport(faults: Parameters<typeof lossy>[1]): ReturnType<typeof lossy> {
  return lossy(db.rpc.transport, faults);
}

async function generated(
  name: string,
  purchases: number,
  prefix: string,
  withTotals = true,
): Promise<string> {
  const path = join(dir, name);
  await writePurchasesCsv(path, {
    purchases,
    withTotals,
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: purchases,
    transactionPrefix: prefix,
  });
  return path;
}

async function batchesOfMerchant(): Promise<{
  batches: number;
  chunks: number;
  rows: number;
  purchases: number;
}> {
  const result = await db.pool.query<{
    batches: number;
    chunks: number;
    rows: number;
    purchases: number;
  }>(
    `select
       (select count(*)::int from public.bulk_import_batches where merchant_id = $1) as batches,
       (select count(*)::int from public.bulk_import_staged_chunks c
          join public.bulk_import_batches b on b.id = c.batch_id where b.merchant_id = $1) as chunks,
       (select count(*)::int from public.bulk_import_staged_rows r
          join public.bulk_import_batches b on b.id = r.batch_id where b.merchant_id = $1) as rows,
       (select count(*)::int from public.purchases where merchant_id = $1) as purchases`,
    [merchant.merchantId],
  );
  return result.rows[0] ?? { batches: -1, chunks: -1, rows: -1, purchases: -1 };
}

/** The input of an import staged while read, chunks of 40 rows. */
function streamedInput(path: string) {
  return { path, merchantId: merchant.merchantId, stream: true, chunkRows: 40 };
}

describe('importFile staging while the file is read, on PostgreSQL', () => {
  it('lands the file exactly once though answers to begin, chunks, the seal and the commit are lost', async () => {
    const path = await generated('lossy.csv', 120, `L${randomUUID().slice(0, 6)}-`);
    const { transport, calls } = lossyTransport({
      import_begin_batch: ['drop-after'],
      import_stage_chunk: ['drop-before', 'drop-after', 'drop-after'],
      import_seal_batch: ['drop-after'],
      import_commit_batch: ['drop-after'],
    });
    const outcome = await importFile(createImportRpc(transport), streamedInput(path));
    if (outcome.kind !== 'batch') throw new Error(`expected a batch, got ${outcome.kind}`);
    const { batch, checked } = outcome;
    const items = checked.localReport.purchases.reduce((n, p) => n + p.items.length, 0);
    expect(batch.status).toBe('completed');
    expect(await countImported(db.pool, batch.id)).toEqual({ purchases: 120, items });
    // Staged while read: one open begin, sealed with the file's totals and hash.
    expect(calls.filter((fn) => fn === 'import_begin_batch')).toHaveLength(2);
    expect(calls).toContain('import_seal_batch');
    expect(calls).not.toContain('import_discard_batch');
    const row = await db.pool.query<{
      total_rows: number;
      chunk_count: number;
      file_sha256: string;
    }>(
      'select total_rows, chunk_count, file_sha256 from public.bulk_import_batches where id = $1',
      [batch.id],
    );
    expect(row.rows[0]).toEqual({
      total_rows: items,
      chunk_count: expect.any(Number) as number,
      file_sha256: checked.localReport.fileSha256,
    });
    expect(row.rows[0]?.chunk_count).toBeGreaterThan(3);
    expect(batch.open ?? false).toBe(false);
  });

  it('refuses to seal when a chunk went missing, and lands the file whole the usual way', async () => {
    const path = await generated('swallowed.csv', 120, `S${randomUUID().slice(0, 6)}-`);
    const before = await batchesOfMerchant();
    const { transport, calls } = lossyTransport({ import_stage_chunk: ['swallow'] });
    const outcome = await importFile(createImportRpc(transport), streamedInput(path));
    if (outcome.kind !== 'batch') throw new Error(`expected a batch, got ${outcome.kind}`);
    expect(outcome.batch.status).toBe('completed');
    // The seal was refused (the chunk's rows are not there) and the open batch deleted.
    expect(calls).toContain('import_seal_batch');
    expect(calls).toContain('import_discard_batch');
    const items = outcome.checked.localReport.purchases.reduce((n, p) => n + p.items.length, 0);
    expect(await countImported(db.pool, outcome.batch.id)).toEqual({ purchases: 120, items });
    const after = await batchesOfMerchant();
    expect(after.batches - before.batches).toBe(1);
    expect(after.purchases - before.purchases).toBe(120);
  });

  it('leaves no batch, chunk or staged row behind for a file refused on its own rows', async () => {
    const path = await generated('refused.csv', 120, `R${randomUUID().slice(0, 6)}-`);
    // A bad date on the last row: every chunk before it was staged by then.
    const user = merchant.userIds[0] ?? '';
    const sku = merchant.skuIds[0] ?? '';
    await appendFile(path, `RX-1,${user},yesterday,${sku},1,2.50,EUR,2.50,S1,\n`);
    const before = await batchesOfMerchant();
    // The refusal waits for the check's answer: late, so the chunks before the bad row are staged
    // (how far staging got by the end of the read depends on the machine's load).
    const { transport, calls } = lossyTransport({ import_check_references: ['slow'] });
    const outcome = await importFile(createImportRpc(transport), streamedInput(path));
    expect(outcome.kind).toBe('refused-locally');
    expect(calls).toContain('import_stage_chunk');
    expect(calls).toContain('import_discard_batch');
    expect(await batchesOfMerchant()).toEqual(before);
  });

  it('imports a file whose transaction comes back later the usual way, leaving only that batch', async () => {
    // Without totals: the row added below changes its purchase's sum.
    const path = await generated('apart.csv', 60, `A${randomUUID().slice(0, 6)}-`, false);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    // The first purchase's first row again at the end, as a second item of that transaction.
    const again = (lines[1] ?? '').split(',');
    await writeFile(path, [...lines, again.join(',')].join('\n'));
    const before = await batchesOfMerchant();
    const { transport, calls } = lossyTransport({});
    const outcome = await importFile(createImportRpc(transport), streamedInput(path));
    if (outcome.kind !== 'batch') {
      throw new Error(
        `expected a batch, got ${outcome.kind}: ${JSON.stringify(outcome.checked.localReport.errors.slice(0, 2))}`,
      );
    }
    expect(outcome.batch.status).toBe('completed');
    expect(calls).toContain('import_discard_batch');
    expect(calls).not.toContain('import_seal_batch');
    const after = await batchesOfMerchant();
    expect(after.batches - before.batches).toBe(1);
    expect(after.purchases - before.purchases).toBe(60);
  });
});
