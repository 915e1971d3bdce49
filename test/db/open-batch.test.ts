import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCall } from '../support/running-call';
import { createImportRpc, type ImportRpc } from '../../shared/db/import-rpc';
import type { BatchSummary, StagedChunk } from '../../shared/db/rpc-contract';
import { RpcError } from '../../shared/db/rpc-transport';
import { toStagedChunk } from '../../shared/db/staging';
import type { Purchase } from '../../shared/domain/types';
import { createPgTransport } from '../../electron/core/db/pg-transport';
import {
  buildPurchases,
  countImported,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';
import { openSupabaseTestEnv, rejectionOf, type SupabaseTestEnv } from '../support/supabase-env';

// Open batches (issue 14, staging overlapped with the parse; migrations/0012, sql/schema/05): a
// batch begun without its file's totals takes chunks in any order while the file is read, is
// sealed with the totals and SHA-256 only when exactly that is staged, commits only once sealed,
// and a file refused on its own rows after staging began is discarded without a trace.

let db: TestDb;
let merchant: SeededMerchant;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'), 6);
  merchant = await seedMerchant(db.pool, { users: 6, skus: 8 });
});
afterAll(async () => {
  await db.close();
});

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

interface OpenFile {
  purchases: Purchase[];
  /** Whole purchases per chunk, numbered from 0 in file order, as the parse worker hands them. */
  chunks: StagedChunk[];
  rows: number;
}

/** `purchases` purchases of three items each, cut into chunks of `perChunk` purchases. */
function openFile(purchases = 12, perChunk = 4): OpenFile {
  const all = buildPurchases(merchant, purchases, { prefix: `O${randomUUID().slice(0, 8)}` });
  const chunks: StagedChunk[] = [];
  for (let i = 0; i < all.length; i += perChunk) {
    chunks.push(toStagedChunk(all.slice(i, i + perChunk)));
  }
  return { purchases: all, chunks, rows: all.length * 3 };
}

function begin(
  totals: { rows: number | null; chunks: number | null; sha?: string | null },
  key: string = randomUUID(),
  rpc: ImportRpc = db.rpc,
  merchantId: string = merchant.merchantId,
): Promise<BatchSummary> {
  return rpc.call('import_begin_batch', {
    p_merchant_id: merchantId,
    p_idempotency_key: key,
    p_name: 'open batch test',
    p_file_name: 'open.csv',
    p_file_sha256: totals.sha ?? null,
    p_total_rows: totals.rows,
    p_chunk_count: totals.chunks,
  });
}

function beginOpen(key?: string, sha: string | null = null, rpc?: ImportRpc) {
  return begin({ rows: null, chunks: null, sha }, key, rpc);
}

function stage(batchId: string, chunkNo: number, chunk: StagedChunk, rpc: ImportRpc = db.rpc) {
  return rpc.call('import_stage_chunk', {
    p_batch_id: batchId,
    p_chunk_no: chunkNo,
    p_rows: chunk,
  });
}

function seal(batchId: string, rows: number, chunks: number, sha: string | null = SHA_A) {
  return db.rpc.call('import_seal_batch', {
    p_batch_id: batchId,
    p_total_rows: rows,
    p_chunk_count: chunks,
    p_file_sha256: sha,
  });
}

async function refusal(call: Promise<unknown>): Promise<RpcError> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RpcError);
  return error as RpcError;
}

/** Begins an open batch and stages every chunk of the file (in the order given). */
async function stagedOpen(file: OpenFile, order?: number[], key?: string): Promise<string> {
  const batch = await beginOpen(key);
  for (const chunkNo of order ?? file.chunks.map((_, i) => i)) {
    await stage(batch.id, chunkNo, file.chunks[chunkNo] as StagedChunk);
  }
  return batch.id;
}

function getBatch(batchId: string) {
  return db.rpc.call('import_get_batch', { p_batch_id: batchId });
}

/** The public tables with a batch_id column (every table that hangs off a batch). */
async function batchTables(): Promise<string[]> {
  const result = await db.pool.query<{ name: string }>(
    `select format('%I.%I', c.table_schema, c.table_name) as name
     from information_schema.columns c
     join information_schema.tables t
       on t.table_schema = c.table_schema and t.table_name = c.table_name
     where c.table_schema = 'public' and c.column_name = 'batch_id' and t.table_type = 'BASE TABLE'
     order by 1`,
  );
  return result.rows.map((row) => row.name);
}

/** Rows per batch table for a batch (the batch row itself, and purchases and items it imported). */
async function footprint(batchId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await batchTables()) {
    const result = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from ${table} where batch_id = $1`,
      [batchId],
    );
    counts[table] = result.rows[0]?.n ?? -1;
  }
  const batch = await db.pool.query<{ n: number }>(
    'select count(*)::int as n from public.bulk_import_batches where id = $1',
    [batchId],
  );
  counts['public.bulk_import_batches'] = batch.rows[0]?.n ?? -1;
  const imported = await countImported(db.pool, batchId);
  counts['public.purchases'] = imported.purchases;
  counts['public.purchase_items'] = imported.items;
  return counts;
}

describe('an open batch', () => {
  it('takes chunks in any order, is sealed with the file’s totals, and commits exactly once', async () => {
    const file = openFile(12, 4);
    const begun = await beginOpen();
    expect(begun).toMatchObject({
      status: 'pending',
      open: true,
      totalRows: 0,
      stagedRows: 0,
      fileSha256: null,
    });
    await stage(begun.id, 2, file.chunks[2] as StagedChunk);
    await stage(begun.id, 0, file.chunks[0] as StagedChunk);
    // A resend after a lost answer is a duplicate, as in a sealed batch.
    expect(await stage(begun.id, 0, file.chunks[0] as StagedChunk)).toMatchObject({
      duplicate: true,
    });
    await stage(begun.id, 1, file.chunks[1] as StagedChunk);
    // Open, it reports the rows staged so far as its total.
    expect(await getBatch(begun.id)).toMatchObject({
      open: true,
      totalRows: file.rows,
      stagedRows: file.rows,
    });

    const sealed = await seal(begun.id, file.rows, 3, SHA_A);
    expect(sealed).toMatchObject({
      id: begun.id,
      status: 'pending',
      open: false,
      totalRows: file.rows,
      stagedRows: file.rows,
      fileSha256: SHA_A,
    });
    const committed = await db.rpc.call('import_commit_batch', { p_batch_id: begun.id });
    expect(committed).toMatchObject({
      status: 'completed',
      open: false,
      importedPurchases: 12,
      importedItems: file.rows,
    });
    // A second commit (a lost answer) and a resent seal find it completed: nothing twice.
    expect(await db.rpc.call('import_commit_batch', { p_batch_id: begun.id })).toMatchObject({
      status: 'completed',
    });
    expect(await seal(begun.id, file.rows, 3, SHA_A)).toMatchObject({
      status: 'completed',
      totalRows: file.rows,
    });
    expect(await countImported(db.pool, begun.id)).toEqual({ purchases: 12, items: file.rows });
  });

  it('is refused by the commit, which writes nothing, and can be cancelled', async () => {
    const file = openFile(6, 3);
    const batchId = await stagedOpen(file);
    const error = await refusal(db.rpc.call('import_commit_batch', { p_batch_id: batchId }));
    expect(error.kind).toBe('refused');
    expect(error.message).toContain('is still open: its file was not read to the end');
    expect(await footprint(batchId)).toMatchObject({
      'public.bulk_import_batches': 1,
      'public.bulk_import_batch_errors': 0,
      'public.bulk_import_batch_values': 0,
      'public.purchases': 0,
      'public.purchase_items': 0,
    });
    expect(await getBatch(batchId)).toMatchObject({ status: 'pending', open: true });
    // A re-check only reads (the rows staged so far): it leaves the batch open and pending.
    const recheck = await db.rpc.call('import_recheck_batch', { p_batch_id: batchId });
    expect(recheck).toMatchObject({ batchId, ok: true, errorTotal: 0 });
    expect(await getBatch(batchId)).toMatchObject({ status: 'pending', open: true });

    const cancelled = await db.rpc.call('import_cancel_batch', { p_batch_id: batchId });
    expect(cancelled).toMatchObject({ status: 'cancelled', open: false, stagedRows: file.rows });
    expect(cancelled.errorMessage).toContain('the file not read to the end');
    expect((await footprint(batchId))['public.bulk_import_staged_rows']).toBe(0);
    // Cancelled, it can no longer be sealed (nor committed).
    const late = await refusal(seal(batchId, file.rows, 2));
    expect(late.message).toContain('is cancelled: only a pending batch can be sealed');
  });

  it('can never become failed (what a retry takes) or completed without its totals', async () => {
    const batch = await beginOpen();
    for (const status of ['failed', 'completed', 'processing']) {
      await expect(
        db.pool.query('update public.bulk_import_batches set status = $2 where id = $1', [
          batch.id,
          status,
        ]),
      ).rejects.toThrow('bulk_import_batches_open_check');
    }
  });
});

describe('sealing', () => {
  it('refuses totals that are not exactly what is staged, and seals once they are', async () => {
    const file = openFile(9, 3);
    const batchId = await stagedOpen(file);

    const rows = await refusal(seal(batchId, file.rows - 1, 3));
    expect(rows.message).toContain(
      `${file.rows} rows are staged, but the file has ${file.rows - 1}`,
    );
    const more = await refusal(seal(batchId, file.rows + 3, 4));
    expect(more.message).toContain(
      `${file.rows} rows are staged, but the file has ${file.rows + 3}`,
    );
    const chunks = await refusal(seal(batchId, file.rows, 4));
    expect(chunks.message).toContain('3 chunks are staged (numbers 0 to 2), but the file has 4');
    const fewer = await refusal(seal(batchId, file.rows, 2));
    expect(fewer.message).toContain('3 chunks are staged (numbers 0 to 2), but the file has 2');
    expect(await getBatch(batchId)).toMatchObject({ open: true, fileSha256: null });

    expect(await seal(batchId, file.rows, 3, SHA_B)).toMatchObject({
      open: false,
      totalRows: file.rows,
      fileSha256: SHA_B,
    });
  });

  it('refuses chunk numbers other than 0 to n - 1, even when the count and rows agree', async () => {
    const file = openFile(9, 3);
    const batch = await beginOpen();
    await stage(batch.id, 0, file.chunks[0] as StagedChunk);
    await stage(batch.id, 1, file.chunks[1] as StagedChunk);
    await stage(batch.id, 3, file.chunks[2] as StagedChunk); // chunk 2 never arrived as 2
    const error = await refusal(seal(batch.id, file.rows, 3));
    expect(error.message).toContain('3 chunks are staged (numbers 0 to 3), but the file has 3');
    expect(error.message).toContain('(numbers 0 to 2)');
    expect(await getBatch(batch.id)).toMatchObject({ open: true });
  });

  it('refuses another hash than the one the batch was begun with', async () => {
    const file = openFile(3, 3);
    const batch = await beginOpen(undefined, SHA_A);
    await stage(batch.id, 0, file.chunks[0] as StagedChunk);
    const error = await refusal(seal(batch.id, file.rows, 1, SHA_B));
    expect(error.message).toContain(`begun for the file with SHA-256 ${SHA_A}, not ${SHA_B}`);
    expect(await getBatch(batch.id)).toMatchObject({ open: true, fileSha256: SHA_A });
    // Without a hash the seal keeps the one it was begun with.
    expect(await seal(batch.id, file.rows, 1, null)).toMatchObject({ fileSha256: SHA_A });
  });

  it('answers a resend with the batch and refuses other values, like begin', async () => {
    const file = openFile(6, 3);
    const batchId = await stagedOpen(file);
    const first = await seal(batchId, file.rows, 2, SHA_A);
    expect(await seal(batchId, file.rows, 2, SHA_A)).toEqual(first);
    for (const [rows, chunks, sha] of [
      [file.rows + 3, 2, SHA_A],
      [file.rows, 3, SHA_A],
      [file.rows, 2, SHA_B],
    ] as const) {
      const error = await refusal(seal(batchId, rows, chunks, sha));
      expect(error.message).toContain(`Batch ${batchId} was already sealed with a different file`);
    }
    // A batch begun with its totals is sealed from the start: the same values return it.
    const sealedAtBegin = await begin({ rows: 3, chunks: 1, sha: SHA_A });
    expect(await seal(sealedAtBegin.id, 3, 1, SHA_A)).toMatchObject({
      id: sealedAtBegin.id,
      open: false,
    });
  });

  it('names the batch when given a name (known only at Import), once: a resend renames nothing', async () => {
    const file = openFile(6, 3);
    const named = await stagedOpen(file);
    const sealed = await db.rpc.call('import_seal_batch', {
      p_batch_id: named,
      p_total_rows: file.rows,
      p_chunk_count: 2,
      p_file_sha256: SHA_A,
      p_name: 'November returns',
    });
    expect(sealed.name).toBe('November returns');
    const resent = await db.rpc.call('import_seal_batch', {
      p_batch_id: named,
      p_total_rows: file.rows,
      p_chunk_count: 2,
      p_file_sha256: SHA_A,
      p_name: 'Another name',
    });
    expect(resent.name).toBe('November returns');
    expect((await getBatch(named)).name).toBe('November returns');
    // Left out, the name given at begin stays.
    const kept = await stagedOpen(file);
    expect((await seal(kept, file.rows, 2, SHA_A)).name).toBe('open batch test');
  });

  it('refuses totals no file could have', async () => {
    const batch = await beginOpen();
    for (const [rows, chunks] of [
      [-1, 0],
      [10_000_001, 1],
      [5, 6],
      [5, -1],
    ]) {
      const error = await refusal(seal(batch.id, rows as number, chunks as number));
      expect(error.code).toBe('22023');
    }
  });

  it('waits for a chunk in flight and counts it', async () => {
    const file = openFile(6, 3);
    const batch = await beginOpen();
    await stage(batch.id, 1, file.chunks[1] as StagedChunk);
    const staging = await stageInOpenTransaction(batch.id, 0, file.chunks[0] as StagedChunk);
    const sealing = await startCall(
      db.pool,
      'select public.import_seal_batch($1, $2, $3, $4) as result',
      [batch.id, file.rows, 2, SHA_A],
    );
    try {
      // The batch row (staging holds it in share mode until its transaction ends).
      expect(await sealing.waitsFor()).not.toBe('advisory');
    } finally {
      await finish(staging, 'commit');
    }
    expect(await sealing.result).toMatchObject({ open: false, totalRows: file.rows });
  });
});

describe('begin’s resend rules', () => {
  it('answers an open begin resent with the open batch', async () => {
    const key = randomUUID();
    const first = await beginOpen(key);
    const again = await beginOpen(key);
    expect(again.id).toBe(first.id);
    expect(again.open).toBe(true);
  });

  it('answers a begin with totals that finds its key’s open batch with that batch, still open', async () => {
    const file = openFile(3, 3);
    const key = randomUUID();
    const batchId = await stagedOpen(file, undefined, key);
    const withTotals = await begin({ rows: file.rows, chunks: 1, sha: SHA_A }, key);
    expect(withTotals).toMatchObject({ id: batchId, open: true, fileSha256: null });
    expect(await seal(batchId, file.rows, 1, SHA_A)).toMatchObject({ open: false });
  });

  it('answers an open begin resent after the seal with the sealed batch', async () => {
    const file = openFile(3, 3);
    const key = randomUUID();
    const batchId = await stagedOpen(file, undefined, key);
    await seal(batchId, file.rows, 1, SHA_A);
    expect(await beginOpen(key)).toMatchObject({ id: batchId, open: false, totalRows: file.rows });
    expect(await beginOpen(key, SHA_A)).toMatchObject({ id: batchId });
    expect(await begin({ rows: file.rows, chunks: 1, sha: SHA_A }, key)).toMatchObject({
      id: batchId,
    });
    // Refused only where both sides know a value and it differs.
    const rows = await refusal(begin({ rows: file.rows + 1, chunks: 1, sha: SHA_A }, key));
    expect(rows.message).toContain(`already used for batch ${batchId} with a different file`);
    const sha = await refusal(beginOpen(key, SHA_B));
    expect(sha.message).toContain(`already used for batch ${batchId} with a different file`);
  });

  it('answers an open begin that finds a batch begun with totals with that batch', async () => {
    const key = randomUUID();
    const sealed = await begin({ rows: 3, chunks: 1 }, key);
    expect(await beginOpen(key)).toMatchObject({ id: sealed.id, open: false, totalRows: 3 });
  });

  it('refuses one of the two totals without the other', async () => {
    for (const totals of [
      { rows: 3, chunks: null },
      { rows: null, chunks: 1 },
    ]) {
      const error = await refusal(begin(totals));
      expect(error.code).toBe('22023');
      expect(error.message).toContain('Give both the total rows and the chunk count, or neither');
    }
  });
});

describe('staging into an open batch', () => {
  it('takes any chunk number but refuses rows past the 10,000,000 a batch may hold', async () => {
    const file = openFile(6, 3);
    const batch = await beginOpen();
    await stage(batch.id, 41, file.chunks[0] as StagedChunk);
    const negative = await refusal(stage(batch.id, -1, file.chunks[1] as StagedChunk));
    expect(negative.message).toBe(
      `Chunk number -1 is out of range: the chunks of batch ${batch.id} are numbered from 0.`,
    );
    // A forged chunk record stands for 9,999,983 staged rows (the bound counts chunk records):
    // cheaper than staging them. With chunk 41's 9 rows, 8 more fit; the next chunk has 9.
    await forgeChunkRecord(batch.id, 1_000, 10_000_000 - 9 - 8);
    const error = await refusal(stage(batch.id, 1, file.chunks[1] as StagedChunk));
    expect(error.message).toBe(
      `Chunk 1 would bring open batch ${batch.id} to 10000001 rows, more than the 10000000 a ` +
        'batch may hold.',
    );
    expect(await getBatch(batch.id)).toMatchObject({ stagedRows: 10_000_000 - 8 });
  });

  it('holds that bound exactly when two chunks race for the last rows', async () => {
    const file = openFile(6, 3);
    const batch = await beginOpen();
    // Room for one more chunk of 9 rows, not two: each alone sees room for itself.
    await forgeChunkRecord(batch.id, 1_000, 10_000_000 - 9 - 8);
    const first = await stageInOpenTransaction(batch.id, 0, file.chunks[0] as StagedChunk);
    const second = await startCall(
      db.pool,
      'select public.import_stage_chunk(p_batch_id => $1, p_chunk_no => $2, p_rows => $3::json) as result',
      [batch.id, 1, JSON.stringify(file.chunks[1])],
    );
    expect(await second.waitsFor()).toBe('advisory');
    await finish(first, 'commit');
    await expect(second.result).rejects.toThrow('more than the 10000000 a batch may hold');
    expect(await getBatch(batch.id)).toMatchObject({ stagedRows: 10_000_000 - 8 });
  });
});

describe('discarding', () => {
  it('discards, at each open begin, its creator’s open batches at the merchant left over a day (up to 1M staged rows a call), and nothing else', async () => {
    const file = openFile(6, 3);
    const age = (batchId: string, hours: number) =>
      db.pool.query(
        `update public.bulk_import_batches set created_at = now() - make_interval(hours => $2)
         where id = $1`,
        [batchId, hours],
      );
    // Made first, then aged: each open begin here would sweep the ones aged before it.
    const stale = await stagedOpen(file);
    const recent = await stagedOpen(file);
    // More than a call may delete: left for import_cancel_batch.
    const big = (await beginOpen()).id;
    await forgeChunkRecord(big, 0, 1_500_000);
    const sealed = (await begin({ rows: 3, chunks: 1, sha: SHA_A })).id;
    const colleagues = await stagedOpen(file);
    await age(stale, 25);
    await age(recent, 23);
    await age(big, 48);
    await age(sealed, 25);
    await age(colleagues, 25);
    await db.pool.query(
      `update public.bulk_import_batches set created_by = 'colleague@example.test' where id = $1`,
      [colleagues],
    );
    const before = await footprint(stale);
    expect(before['public.bulk_import_staged_rows']).toBe(file.rows);

    // A begin with totals sweeps nothing; an open one does.
    await begin({ rows: 3, chunks: 1, sha: SHA_A });
    expect((await footprint(stale))['public.bulk_import_batches']).toBe(1);
    const next = await beginOpen();
    expect(next.open).toBe(true);
    expect(Object.values(await footprint(stale)).every((n) => n === 0)).toBe(true);
    for (const kept of [recent, big, sealed, colleagues]) {
      expect((await footprint(kept))['public.bulk_import_batches']).toBe(1);
    }
    expect((await footprint(recent))['public.bulk_import_staged_rows']).toBe(file.rows);
  });

  it('removes every row of every batch table for the batch and leaves other batches alone', async () => {
    const tables = await batchTables();
    // Every table that hangs off a batch (a new one must be looked at by discard_batch).
    expect(tables).toEqual([
      'public.bulk_import_batch_errors',
      'public.bulk_import_batch_values',
      'public.bulk_import_staged_chunks',
      'public.bulk_import_staged_rows',
    ]);
    const file = openFile(9, 3);
    const key = randomUUID();
    const batchId = await stagedOpen(file, [1, 0], key);
    // Errors and recorded values are written only by a commit, which an open batch never had;
    // planted here so the test sees discard reach those tables too.
    await db.pool.query(
      `insert into public.bulk_import_batch_errors (batch_id, row_number, code, message)
       values ($1, 0, 'planted', 'planted')`,
      [batchId],
    );
    await db.pool.query(
      `insert into public.bulk_import_batch_values
         (batch_id, column_name, distinct_values, row_counts, first_rows, first_lines)
       values ($1, 'transaction_number', '{x}', '{1}', '{2}', '{1}')`,
      [batchId],
    );
    const otherOpen = await stagedOpen(openFile(3, 3));
    const otherFile = openFile(3, 3);
    const otherSealed = await stagedOpen(otherFile);
    await seal(otherSealed, otherFile.rows, 1);
    const othersBefore = [await footprint(otherOpen), await footprint(otherSealed)];
    const before = await footprint(batchId);
    for (const table of tables) expect({ table, n: before[table] }).not.toEqual({ table, n: 0 });

    expect(await db.rpc.call('import_discard_batch', { p_batch_id: batchId })).toEqual({
      discarded: true,
      batchId,
    });
    const after = await footprint(batchId);
    expect(Object.values(after).every((n) => n === 0)).toBe(true);
    expect([await footprint(otherOpen), await footprint(otherSealed)]).toEqual(othersBefore);

    // A resend after a lost answer: nothing left, no error.
    expect(await db.rpc.call('import_discard_batch', { p_batch_id: batchId })).toEqual({
      discarded: false,
      batchId,
    });
    // As if never begun: its key begins a new batch.
    const again = await beginOpen(key);
    expect(again.id).not.toBe(batchId);
    expect(again).toMatchObject({ open: true, stagedRows: 0 });
  });

  it('waits for a chunk in flight and deletes it too; a chunk after it finds no batch', async () => {
    const file = openFile(6, 3);
    const batch = await beginOpen();
    const staging = await stageInOpenTransaction(batch.id, 0, file.chunks[0] as StagedChunk);
    const discarding = await startCall(
      db.pool,
      'select public.import_discard_batch($1) as result',
      [batch.id],
    );
    try {
      expect(await discarding.waitsFor()).not.toBe('advisory');
    } finally {
      await finish(staging, 'commit');
    }
    expect(await discarding.result).toEqual({ discarded: true, batchId: batch.id });
    expect(Object.values(await footprint(batch.id)).every((n) => n === 0)).toBe(true);
    const late = await refusal(stage(batch.id, 1, file.chunks[1] as StagedChunk));
    expect(late.message).toBe(`Import batch ${batch.id} does not exist.`);
  });

  it('finds a batch sealed while it waited, and refuses it', async () => {
    const file = openFile(3, 3);
    const batchId = await stagedOpen(file);
    const sealing = await db.pool.connect();
    await sealing.query('begin');
    await sealing.query('select public.import_seal_batch($1, $2, 1, null)', [batchId, file.rows]);
    const discarding = await startCall(
      db.pool,
      'select public.import_discard_batch($1) as result',
      [batchId],
    );
    try {
      expect(await discarding.waitsFor()).not.toBe('advisory');
    } finally {
      await finish(sealing, 'commit');
    }
    await expect(discarding.result).rejects.toThrow(`Batch ${batchId} is sealed`);
    expect(await footprint(batchId)).toMatchObject({
      'public.bulk_import_batches': 1,
      'public.bulk_import_staged_rows': file.rows,
    });
  });

  it('leaves a chunk that waited for it nothing to stage into', async () => {
    const file = openFile(3, 3);
    const batch = await beginOpen();
    const discarding = await db.pool.connect();
    await discarding.query('begin');
    await discarding.query('select public.import_discard_batch($1)', [batch.id]);
    const staging = await startCall(db.pool, STAGE, [batch.id, 0, JSON.stringify(file.chunks[0])]);
    try {
      expect(await staging.waitsFor()).not.toBe('advisory');
    } finally {
      await finish(discarding, 'commit');
    }
    await expect(staging.result).rejects.toThrow(`Import batch ${batch.id} does not exist.`);
    expect(Object.values(await footprint(batch.id)).every((n) => n === 0)).toBe(true);
  });

  it('leaves a commit or a cancel that waited for it a batch that does not exist', async () => {
    const batchId = await stagedOpen(openFile(3, 3));
    const discarding = await db.pool.connect();
    await discarding.query('begin');
    await discarding.query('select public.import_discard_batch($1)', [batchId]);
    const commit = await startCall(db.pool, 'select public.import_commit_batch($1) as result', [
      batchId,
    ]);
    const cancel = await startCall(db.pool, 'select public.import_cancel_batch($1) as result', [
      batchId,
    ]);
    try {
      expect(await commit.waitsFor()).not.toBe('advisory');
      expect(await cancel.waitsFor()).not.toBe('advisory');
    } finally {
      await finish(discarding, 'commit');
    }
    await expect(commit.result).rejects.toThrow(`Import batch ${batchId} does not exist.`);
    await expect(cancel.result).rejects.toThrow(`Import batch ${batchId} does not exist.`);
  });

  it('refuses a sealed batch (cancelled instead) and a batch no longer pending', async () => {
    const file = openFile(3, 3);
    const sealedId = await stagedOpen(file);
    await seal(sealedId, file.rows, 1);
    const sealed = await refusal(db.rpc.call('import_discard_batch', { p_batch_id: sealedId }));
    expect(sealed.message).toContain(`Batch ${sealedId} is sealed: it is cancelled, not discarded`);
    const begunSealed = await begin({ rows: 3, chunks: 1 });
    await refusal(db.rpc.call('import_discard_batch', { p_batch_id: begunSealed.id }));

    const cancelledId = await stagedOpen(openFile(3, 3));
    await db.rpc.call('import_cancel_batch', { p_batch_id: cancelledId });
    const cancelled = await refusal(
      db.rpc.call('import_discard_batch', { p_batch_id: cancelledId }),
    );
    expect(cancelled.message).toContain(
      'is cancelled: only an open pending batch can be discarded',
    );
    for (const id of [sealedId, begunSealed.id, cancelledId]) {
      expect((await footprint(id))['public.bulk_import_batches']).toBe(1);
    }
    expect((await footprint(sealedId))['public.bulk_import_staged_rows']).toBe(file.rows);
  });
});

describe('a database login granted authenticated, outside the API', () => {
  it('is refused a discard even of an id that does not exist', async () => {
    const role = `import_open_batch_${randomUUID().slice(0, 8)}`;
    const password = `pw-${randomUUID()}`;
    await db.pool.query(`create role ${role} login password '${password}' in role authenticated`);
    const url = new URL(inject('databaseUrl'));
    url.username = role;
    url.password = password;
    const outsider = createImportRpc(createPgTransport({ connectionString: url.toString() }));
    try {
      for (const id of [randomUUID(), (await beginOpen()).id]) {
        const error = await refusal(outsider.call('import_discard_batch', { p_batch_id: id }));
        expect({ kind: error.kind, code: error.code }).toEqual({
          kind: 'permission',
          code: '42501',
        });
        expect(error.message).toContain('accepted only through the API');
      }
    } finally {
      await outsider.transport.close();
      await db.pool.query(`drop role if exists ${role}`);
    }
  });
});

describe('through the API, as staff', () => {
  let env: SupabaseTestEnv;
  let other: SeededMerchant;
  let alice: ImportRpc;
  let bob: ImportRpc;
  let otherOperator: ImportRpc;

  beforeAll(async () => {
    env = await openSupabaseTestEnv(inject('databaseUrl'));
    other = await seedMerchant(env.db.pool, { users: 2, skus: 2 });
    const sign = async (roles: Record<string, 'operator'>, label: string) => {
      const user = await env.createOperator(roles, label);
      return (await env.signIn(user.email, user.password)).rpc;
    };
    alice = await sign({ [merchant.merchantId]: 'operator' }, 'alice');
    bob = await sign({ [merchant.merchantId]: 'operator' }, 'bob');
    otherOperator = await sign({ [other.merchantId]: 'operator' }, 'other');
  });
  afterAll(async () => {
    await env?.close();
  });

  it('lets only the batch’s creator discard it, and tells another merchant nothing', async () => {
    const file = openFile(3, 3);
    const batch = await beginOpen(undefined, null, alice);
    await stage(batch.id, 0, file.chunks[0] as StagedChunk, alice);

    const byColleague = await rejectionOf(
      bob.call('import_discard_batch', { p_batch_id: batch.id }),
    );
    expect(byColleague).toBeInstanceOf(RpcError);
    expect((byColleague as RpcError).kind).toBe('permission');
    expect((byColleague as RpcError).message).toContain(
      `who began batch ${batch.id}, may discard it`,
    );

    // Another merchant's batch reads as one that does not exist: the same answer as a random id.
    expect(await otherOperator.call('import_discard_batch', { p_batch_id: batch.id })).toEqual({
      discarded: false,
      batchId: batch.id,
    });
    const unknown = randomUUID();
    expect(await otherOperator.call('import_discard_batch', { p_batch_id: unknown })).toEqual({
      discarded: false,
      batchId: unknown,
    });
    const sealByOther = await rejectionOf(
      otherOperator.call('import_seal_batch', {
        p_batch_id: batch.id,
        p_total_rows: file.rows,
        p_chunk_count: 1,
        p_file_sha256: null,
      }),
    );
    expect((sealByOther as RpcError).message).toBe(`Import batch ${batch.id} does not exist.`);
    expect((await footprint(batch.id))['public.bulk_import_staged_rows']).toBe(file.rows);

    expect(await alice.call('import_discard_batch', { p_batch_id: batch.id })).toEqual({
      discarded: true,
      batchId: batch.id,
    });
    expect((await footprint(batch.id))['public.bulk_import_batches']).toBe(0);
  });

  it('lets a colleague seal and commit an open batch as they may stage into it', async () => {
    const file = openFile(6, 3);
    const batch = await beginOpen(undefined, null, alice);
    await stage(batch.id, 0, file.chunks[0] as StagedChunk, alice);
    await stage(batch.id, 1, file.chunks[1] as StagedChunk, bob);
    const sealed = await bob.call('import_seal_batch', {
      p_batch_id: batch.id,
      p_total_rows: file.rows,
      p_chunk_count: 2,
      p_file_sha256: SHA_A,
    });
    expect(sealed).toMatchObject({ open: false, totalRows: file.rows });
    expect(await alice.call('import_commit_batch', { p_batch_id: batch.id })).toMatchObject({
      status: 'completed',
      importedItems: file.rows,
    });
  });
});

async function forgeChunkRecord(batchId: string, chunkNo: number, rows: number): Promise<void> {
  await db.pool.query(
    `insert into public.bulk_import_staged_chunks (batch_id, chunk_no, row_count, payload_sha256)
     values ($1, $2, $3, 'forged')`,
    [batchId, chunkNo, rows],
  );
}

const STAGE =
  'select public.import_stage_chunk(p_batch_id => $1, p_chunk_no => $2, p_rows => $3::json) as result';

/** Stages a chunk in a transaction left open on its own connection (commit or roll it back). */
async function stageInOpenTransaction(
  batchId: string,
  chunkNo: number,
  chunk: StagedChunk,
): Promise<pg.PoolClient> {
  const client = await db.pool.connect();
  await client.query('begin');
  await client.query(STAGE, [batchId, chunkNo, JSON.stringify(chunk)]);
  return client;
}

async function finish(client: pg.PoolClient, how: 'commit' | 'rollback'): Promise<void> {
  try {
    await client.query(how);
  } finally {
    client.release();
  }
}
