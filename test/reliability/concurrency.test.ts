import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createImportRpc, type ImportRpc } from '../../shared/db/import-rpc';
import type { BatchDetail, ErrorPage, RemoteRowError } from '../../shared/db/rpc-contract';
import { RpcError } from '../../shared/db/rpc-transport';
import { createPgTransport } from '../../electron/core/db/pg-transport';
import { importFile, type ImportOutcome } from '../../electron/core/use-cases';
import { generatePurchases } from '../fixtures/generate-purchases';
import {
  beginAndStage,
  buildRows,
  countImported,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';
import { openSupabaseTestEnv, rejectionOf, type SupabaseTestEnv } from '../support/supabase-env';
import { printFigures, runCount } from './support/mode';
import { openTempFolder, recordsOf, type TempFolder } from './support/security-files';

// Concurrency at the level of whole imports: files, separate app instances, several merchants.
// test/db/concurrency.test.ts already proves the two primitives on staged batches (ten
// connections committing one batch land it once; two batches sharing a transaction number land
// one); this suite does not repeat them but goes through importFile (parse → reference check →
// begin → stage → commit) with one transport per caller, and adds commit against cancel.

let db: TestDb;
let env: SupabaseTestEnv;
let folder: TempFolder;
const figures: Record<string, string | number> = {};

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  env = await openSupabaseTestEnv(inject('databaseUrl'));
  folder = await openTempFolder('reliability-concurrency');
});
afterAll(async () => {
  await env?.close();
  await db?.close();
  await folder?.remove();
  printFigures('concurrency', figures);
});

/** One transport (own pool) per caller, as separate app instances would have. */
function separateClients(count: number): ImportRpc[] {
  return Array.from({ length: count }, () =>
    createImportRpc(createPgTransport({ connectionString: inject('databaseUrl') })),
  );
}

async function closeAll(clients: readonly ImportRpc[]): Promise<void> {
  await Promise.all(clients.map((rpc) => rpc.transport.close()));
}

function batchOf(outcome: ImportOutcome): BatchDetail {
  if (outcome.kind !== 'batch') throw new Error(`expected a batch, got ${outcome.kind}`);
  return outcome.batch;
}

function ms(since: number): number {
  return Math.round(performance.now() - since);
}

describe('one file imported ten times at once', () => {
  it('lands one set of purchases; the nine others fail naming every transaction and the winner', async () => {
    const merchant = await seedMerchant(db.pool, { users: 20, skus: 20 });
    const tag = `SAME${randomUUID().slice(0, 6)}-`;
    const generated = generatePurchases({
      purchases: runCount(150, 2_000),
      userIds: merchant.userIds,
      skuIds: merchant.skuIds,
      transactionPrefix: tag,
      seed: 5,
    });
    const path = folder.path(`same-${tag}csv`);
    await writeFile(path, generated.csv);
    const purchases = generated.purchases.length;
    const rows = generated.rows;

    const clients = separateClients(10);
    const started = performance.now();
    let outcomes: PromiseSettledResult<ImportOutcome>[];
    try {
      // Small chunks, so the ten stagings interleave instead of each finishing in one call.
      outcomes = await Promise.allSettled(
        clients.map((rpc) =>
          importFile(rpc, {
            path,
            merchantId: merchant.merchantId,
            idempotencyKey: randomUUID(),
            chunkRows: 100,
          }),
        ),
      );
    } finally {
      await closeAll(clients);
    }
    figures['same file x10: rows per file'] = rows;
    figures['same file x10: wall ms'] = ms(started);

    // The designed behaviour (electron/core/use-cases/import-file.ts): the local check passes for every copy, each
    // becomes a batch of its own, and the commit — serialised per merchant, re-checking under
    // its lock — lets the first in; the others are recorded as failed batches, nothing of them
    // lands. No copy is refused before begin, not even one whose reference check ran after the
    // winner landed (that verdict is the database's, at commit).
    const refusals = outcomes.filter((o) => o.status === 'rejected');
    expect(refusals.map((r) => String(r.reason))).toEqual([]);
    const batches = outcomes.map((o) =>
      batchOf((o as PromiseFulfilledResult<ImportOutcome>).value),
    );
    expect(new Set(batches.map((b) => b.id)).size).toBe(10);
    const winners = batches.filter((b) => b.status === 'completed');
    const losers = batches.filter((b) => b.status === 'failed');
    expect({ completed: winners.length, failed: losers.length }).toEqual({
      completed: 1,
      failed: 9,
    });
    const winner = winners[0] as BatchDetail;
    expect(winner).toMatchObject({ importedPurchases: purchases, importedItems: rows });
    const transactionNumbers = new Set(generated.purchases.map((p) => p.transactionNumber));
    for (const loser of losers) {
      expect(loser.errorMessage).toBe(
        `${rows.toLocaleString('en')} rows refused: ${purchases.toLocaleString('en')} transactions already imported`,
      );
      expect(loser).toMatchObject({ importedPurchases: 0, importedItems: 0, errorCount: rows });
      expect(loser.errorSummary).toEqual([
        expect.objectContaining({
          code: 'already_imported',
          rows,
          distinctValues: purchases,
        }),
      ]);
      // Every transaction named, read page by page as support would.
      const all: RemoteRowError[] = [];
      let after: { row: number; column: string } | null = null;
      do {
        const page: ErrorPage = await db.rpc.call('import_list_batch_errors', {
          p_batch_id: loser.id,
          p_code: null,
          p_value: null,
          p_after_row: after?.row ?? null,
          p_after_column: after?.column ?? null,
          p_limit: 40,
        });
        all.push(...page.errors);
        after = page.next;
      } while (after);
      expect(all).toHaveLength(rows);
      expect(new Set(all.map((e) => e.value))).toEqual(transactionNumbers);
      for (const error of all) {
        expect(error.code).toBe('already_imported');
        expect(error.message).toBe(
          `Transaction ${error.value} was already imported by batch ${winner.id}.`,
        );
      }
      expect(await countImported(db.pool, loser.id)).toEqual({ purchases: 0, items: 0 });
    }
    // How many copies' preview already saw the winner's purchases (timing-dependent; either way
    // the copy became a failed batch, not a second set).
    const late = outcomes.filter(
      (o) => o.status === 'fulfilled' && o.value.checked.reference.existingTransactions.length > 0,
    ).length;
    figures['same file x10: outcomes'] =
      `1 completed, ${losers.length} failed (${late} previewed after the winner landed)`;

    const landed = await db.pool.query<{ n: number; batches: number; dupes: number }>(
      `select count(*)::int as n, count(distinct import_batch_id)::int as batches,
              (count(*) - count(distinct transaction_number))::int as dupes
       from public.purchases where merchant_id = $1`,
      [merchant.merchantId],
    );
    expect(landed.rows[0]).toEqual({ n: purchases, batches: 1, dupes: 0 });
    expect(await countImported(db.pool, winner.id)).toEqual({ purchases, items: rows });

    // History shows all ten attempts, same file and SHA-256, one completed.
    const page = await db.rpc.call('import_list_batches', {
      p_merchant_id: merchant.merchantId,
      p_status: null,
      p_search: `same-${tag}`,
      p_limit: 50,
      p_offset: 0,
    });
    expect(page.total).toBe(10);
    expect(new Set(page.batches.map((b) => b.fileSha256))).toEqual(new Set([winner.fileSha256]));
    expect(page.batches.filter((b) => b.status === 'completed').map((b) => b.id)).toEqual([
      winner.id,
    ]);
  });
});

describe('files sharing a transaction number', () => {
  it('lands one of two files of a merchant, and the same number at another merchant regardless', async () => {
    const one = await seedMerchant(db.pool, { users: 10, skus: 10 });
    const other = await seedMerchant(db.pool, { users: 10, skus: 10 });
    const shared = `SHARED'${randomUUID().slice(0, 6)}`;
    const first = buildRows(one, { purchases: 60, itemsPerPurchase: 2 });
    const second = buildRows(one, { purchases: 40, itemsPerPurchase: 3 });
    const elsewhere = buildRows(other, { purchases: 30, itemsPerPurchase: 2 });
    // The last purchase of the first file, the first of the second, one in the middle elsewhere.
    for (const row of first.slice(-2)) row.transaction_number = shared;
    for (const row of second.slice(0, 3)) row.transaction_number = shared;
    for (const row of elsewhere.slice(10, 12)) row.transaction_number = shared;
    const paths = await Promise.all(
      [first, second, elsewhere].map((rows) => folder.write(recordsOf(rows))),
    );

    const clients = separateClients(3);
    let results: BatchDetail[];
    try {
      results = (
        await Promise.all(
          [one, one, other].map((merchant, i) =>
            importFile(clients[i] as ImportRpc, {
              path: paths[i] as string,
              merchantId: merchant.merchantId,
              chunkRows: 30,
            }),
          ),
        )
      ).map(batchOf);
    } finally {
      await closeAll(clients);
    }
    const [a, b, c] = results as [BatchDetail, BatchDetail, BatchDetail];
    expect(c).toMatchObject({ status: 'completed', importedPurchases: 30, importedItems: 60 });
    expect([a.status, b.status].sort()).toEqual(['completed', 'failed']);
    const [winner, loser, loserRows] = a.status === 'completed' ? [a, b, 3] : [b, a, 2];
    expect(loser.errorMessage).toBe(
      `${loserRows.toLocaleString('en')} rows refused: 1 transaction already imported`,
    );
    expect(loser.errors.map((e) => [e.code, e.value, e.message])).toEqual(
      Array.from({ length: loserRows }, () => [
        'already_imported',
        shared,
        `Transaction ${shared} was already imported by batch ${winner.id}.`,
      ]),
    );
    expect(await countImported(db.pool, loser.id)).toEqual({ purchases: 0, items: 0 });
    const owners = await db.pool.query<{ merchant_id: string; import_batch_id: string }>(
      'select merchant_id, import_batch_id from public.purchases where transaction_number = $1 order by merchant_id',
      [shared],
    );
    expect(new Set(owners.rows.map((r) => `${r.merchant_id}/${r.import_batch_id}`))).toEqual(
      new Set([`${one.merchantId}/${winner.id}`, `${other.merchantId}/${c.id}`]),
    );
  });
});

describe('commits racing a cancel', () => {
  it('ends either completed once or cancelled with nothing imported, and every caller agrees', async () => {
    const merchant = await seedMerchant(db.pool, { users: 10, skus: 10 });
    const rounds = runCount(3, 10);
    const outcomes = { completed: 0, cancelled: 0 };
    for (let round = 0; round < rounds; round++) {
      const rows = buildRows(merchant, { purchases: 200, itemsPerPurchase: 2 });
      const { batchId } = await beginAndStage(db.rpc, merchant, rows);
      const clients = separateClients(6);
      let answers: PromiseSettledResult<unknown>[];
      try {
        // The cancel goes in the middle of the commits, so either may take the batch's lock first.
        answers = await Promise.allSettled(
          clients.map((rpc, i) =>
            i === 3
              ? rpc.call('import_cancel_batch', { p_batch_id: batchId })
              : rpc.call('import_commit_batch', { p_batch_id: batchId }),
          ),
        );
      } finally {
        await closeAll(clients);
      }
      const final = await db.rpc.call('import_get_batch', { p_batch_id: batchId });
      const imported = await countImported(db.pool, batchId);
      const commits = answers.filter((_, i) => i !== 3);
      const cancel = answers[3];
      if (final.status === 'completed') {
        outcomes.completed++;
        expect(imported).toEqual({ purchases: 200, items: 400 });
        // The cancel waited for the commit and reports what really happened.
        expect(cancel).toMatchObject({ status: 'fulfilled', value: { status: 'completed' } });
        for (const commit of commits) {
          expect(commit).toMatchObject({ status: 'fulfilled', value: { status: 'completed' } });
        }
      } else {
        outcomes.cancelled++;
        expect(final.status).toBe('cancelled');
        expect(imported).toEqual({ purchases: 0, items: 0 });
        // Commits that ran before the cancel cannot exist (they would have completed it), so
        // every commit was refused as cancelled.
        for (const commit of commits) {
          expect(commit.status).toBe('rejected');
          const reason = (commit as PromiseRejectedResult).reason as RpcError;
          expect(reason.message).toBe(
            `Batch ${batchId} was cancelled before its commit step: it imports nothing.`,
          );
        }
      }
    }
    figures['commit vs cancel: rounds'] =
      `${rounds} (${outcomes.completed} completed, ${outcomes.cancelled} cancelled)`;
  });
});

describe('five merchants importing at once', () => {
  it('lands each file whole, and each operator sees only their own purchases and batches', async () => {
    const count = 5;
    const rowsPerFile = runCount(5_000, 20_000);
    const merchants: SeededMerchant[] = [];
    for (let i = 0; i < count; i++) {
      merchants.push(await seedMerchant(env.db.pool, { users: 50, skus: 50 }));
    }
    // One signed-in operator per merchant, each with its own supabase-js client: five transports.
    const operators: ImportRpc[] = [];
    for (const [i, merchant] of merchants.entries()) {
      const user = await env.createOperator({ [merchant.merchantId]: 'operator' }, `five-${i}`);
      operators.push((await env.signIn(user.email, user.password)).rpc);
    }
    // The same transaction numbers in every file: they are unique per merchant, not globally.
    const tag = `FIVE${randomUUID().slice(0, 6)}-`;
    const files = await Promise.all(
      merchants.map(async (merchant, i) => {
        const generated = generatePurchases({
          rows: rowsPerFile,
          userIds: merchant.userIds,
          skuIds: merchant.skuIds,
          transactionPrefix: tag,
          seed: 100 + i,
        });
        const path = folder.path(`five-${i}.csv`);
        await writeFile(path, generated.csv);
        return { path, purchases: generated.purchases.length, rows: generated.rows };
      }),
    );

    const started = performance.now();
    const batches = (
      await Promise.all(
        merchants.map((merchant, i) =>
          importFile(operators[i] as ImportRpc, {
            path: files[i]?.path ?? '',
            merchantId: merchant.merchantId,
          }),
        ),
      )
    ).map(batchOf);
    const wallMs = ms(started);
    figures['five merchants: rows each'] = rowsPerFile;
    figures['five merchants: wall ms'] = wallMs;
    figures['five merchants: rows/s overall'] = Math.round((count * rowsPerFile * 1000) / wallMs);

    for (const [i, batch] of batches.entries()) {
      const file = files[i] as { purchases: number; rows: number };
      expect(batch).toMatchObject({
        status: 'completed',
        merchantId: merchants[i]?.merchantId,
        importedPurchases: file.purchases,
        importedItems: file.rows,
      });
      // Every row of the batch belongs to its merchant, down to the SKUs and members it names.
      const owned = await env.db.pool.query<{
        purchases: number;
        foreign: number;
        items: number;
        foreign_items: number;
      }>(
        `select
           (select count(*)::int from public.purchases p where p.import_batch_id = $1) as purchases,
           (select count(*)::int from public.purchases p
              join public.user_accounts u on u.id = p.user_id
            where p.import_batch_id = $1 and (p.merchant_id <> $2 or u.merchant_id <> $2)) as foreign,
           (select count(*)::int from public.purchase_items i where i.import_batch_id = $1) as items,
           (select count(*)::int from public.purchase_items i
              join public.purchases p on p.id = i.purchase_id
              join public.skus s on s.id = i.sku_id
            where i.import_batch_id = $1 and (p.merchant_id <> $2 or s.merchant_id <> $2))
             as foreign_items`,
        [batch.id, batch.merchantId],
      );
      expect(owned.rows[0]).toEqual({
        purchases: file.purchases,
        foreign: 0,
        items: file.rows,
        foreign_items: 0,
      });
    }

    // Through the API, as each merchant's operator.
    let refusals = 0;
    for (const [i, operator] of operators.entries()) {
      const own = merchants[i] as SeededMerchant;
      const page = await operator.call('import_list_batches', {
        p_merchant_id: own.merchantId,
        p_status: null,
        p_search: null,
        p_limit: 50,
        p_offset: 0,
      });
      expect(page.batches.map((b) => b.id)).toEqual([batches[i]?.id]);
      // All five merchants hold these transaction numbers; each operator sees only their own.
      const sample = Array.from(
        { length: 50 },
        (_, k) => `${tag}${String(k + 1).padStart(8, '0')}`,
      );
      const seen = await operator.call('import_check_references', {
        p_merchant_id: own.merchantId,
        p_user_ids: [],
        p_sku_ids: [],
        p_transaction_numbers: sample,
      });
      expect(seen.existingTransactions).toHaveLength(50);
      expect(new Set(seen.existingTransactions.map((t) => t.batchId))).toEqual(
        new Set([batches[i]?.id]),
      );
      expect(
        (await operator.call('import_get_batch', { p_batch_id: batches[i]?.id ?? '' })).id,
      ).toBe(batches[i]?.id);
      for (const [j, foreign] of merchants.entries()) {
        if (j === i) continue;
        const listing = await rejectionOf(
          operator.call('import_list_batches', {
            p_merchant_id: foreign.merchantId,
            p_status: null,
            p_search: null,
            p_limit: 50,
            p_offset: 0,
          }),
        );
        expect(listing).toMatchObject({ kind: 'permission', code: '42501' });
        // Another merchant's batch reads as one that does not exist (migration 0017).
        const foreignBatch = batches[j]?.id ?? '';
        const reading = await rejectionOf(
          operator.call('import_get_batch', { p_batch_id: foreignBatch }),
        );
        expect(reading).toBeInstanceOf(RpcError);
        expect({
          code: (reading as RpcError).code,
          message: (reading as RpcError).message,
        }).toEqual({ code: 'P0002', message: `Import batch ${foreignBatch} does not exist.` });
        refusals += 2;
      }
    }
    figures['five merchants: cross-merchant reads refused'] = refusals;
  });
});
