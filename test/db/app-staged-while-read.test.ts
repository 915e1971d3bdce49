import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SessionService } from '../../electron/main/services/session/session-service';
import { openAppServices, type AppServices } from '../support/app-services';
import { writePurchasesCsv, type GenerateOptions } from '../fixtures/generate-purchases';
import {
  countImported,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';

// Issue 14 in the app: a file is staged into an open batch while it is read, so that Import of
// the file as read only seals and commits it. Anything that makes the staged rows stale (an
// edit, errors to fix, closing the file, quitting) discards that batch: nothing of it stays.

const ROWS = 12_000; // three chunks of 5,000 rows at most

let db: TestDb;
let merchant: SeededMerchant;
let dir: string;
let sessions: SessionService;
let app: AppServices;
const logged: string[] = [];

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 20, skus: 20 });
  app = await openAppServices({
    databaseUrl: inject('databaseUrl'),
    merchantId: merchant.merchantId,
    name: 'app-staged-while-read',
    stageWhileRead: true,
    log: (line) => logged.push(line),
  });
  ({ sessions, dir } = app);
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

interface BatchRow {
  id: string;
  name: string | null;
  status: string;
  totalRows: number | null;
  staged: number;
}

/** The batches of this file name at the test's merchant, with the rows staged for each. */
async function batchesOf(fileName: string): Promise<BatchRow[]> {
  const result = await db.pool.query<BatchRow>(
    `select b.id, b.batch_name as name, b.status, b.total_rows as "totalRows",
       (select count(*)::int from public.bulk_import_staged_rows s where s.batch_id = b.id)
         as staged
     from public.bulk_import_batches b
     where b.merchant_id = $1 and b.file_name = $2
     order by b.created_at`,
    [merchant.merchantId, fileName],
  );
  return result.rows;
}

async function writeFile(
  fileName: string,
  options: Partial<GenerateOptions> = {},
): Promise<{ path: string; ref: { handle: string; name: string } }> {
  const path = join(dir, fileName);
  await writePurchasesCsv(path, {
    rows: ROWS,
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: fileName.length,
    transactionPrefix: `${fileName.replace(/\W/g, '')}-${merchant.merchantId.slice(0, 6)}-`,
    ...options,
  });
  return { path, ref: { handle: fileName.padEnd(32, 'x').slice(0, 32), name: fileName } };
}

/** Opens the file and waits until every row of it is staged into one open batch. */
async function openStaged(fileName: string): Promise<BatchRow> {
  const file = await writeFile(fileName);
  const opened = await sessions.open(file.path, file.ref);
  expect(opened.kind).toBe('opened');
  expect(sessions.current().view().blockedReason).toBeNull();
  await expect
    .poll(async () => (await batchesOf(fileName)).map((b) => [b.status, b.totalRows, b.staged]))
    .toEqual([['pending', null, ROWS]]);
  const [batch] = await batchesOf(fileName);
  if (!batch) throw new Error('no open batch');
  return batch;
}

describe('a file staged while the app reads it', () => {
  it('is imported as read by sealing and committing that very batch, under the name typed at Import', async () => {
    const open = await openStaged('as-read.csv');
    const result = await sessions.commit('Reviewed as read');
    expect(result.outcome).toBe('completed');
    const batches = await batchesOf('as-read.csv');
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({
      id: open.id,
      name: 'Reviewed as read',
      status: 'completed',
      totalRows: ROWS,
    });
    expect((await countImported(db.pool, open.id)).items).toBe(ROWS);
  });

  it('is discarded by an edit (even one undone), and Import then stages the file as it is now', async () => {
    const open = await openStaged('edited.csv');
    await sessions.editCell(2, 'store_code', 'EDITED');
    await expect.poll(() => batchesOf('edited.csv')).toEqual([]);
    sessions.undo();
    const result = await sessions.commit('');
    expect(result.outcome).toBe('completed');
    const batches = await batchesOf('edited.csv');
    expect(batches).toHaveLength(1);
    expect(batches[0]?.id).not.toBe(open.id);
    expect(batches[0]).toMatchObject({ status: 'completed', totalRows: ROWS });
  });

  it('leaves nothing staged for a file with errors to fix, its own or the database’s', async () => {
    for (const [name, defects] of [
      ['defects.csv', { bad_quantity: 0.05 }],
      ['unknown-skus.csv', { unknown_sku: 0.05 }],
    ] as const) {
      const file = await writeFile(name, { defects });
      const opened = await sessions.open(file.path, file.ref);
      expect(opened.kind).toBe('opened');
      expect(sessions.current().view().blockedReason).not.toBeNull();
      await expect.poll(() => batchesOf(name)).toEqual([]);
    }
  });

  it('leaves nothing staged once the file is closed, replaced by another, or the app quits', async () => {
    await openStaged('closed.csv');
    sessions.close();
    await expect.poll(() => batchesOf('closed.csv')).toEqual([]);

    await openStaged('replaced.csv');
    await openStaged('replacing.csv');
    await expect.poll(() => batchesOf('replaced.csv')).toEqual([]);

    await sessions.shutdown();
    expect(await batchesOf('replacing.csv')).toEqual([]);
    expect(logged.filter((line) => line.includes('left in open batch'))).toEqual([]);
  });
});

describe('an open batch cancelled from History', () => {
  it("drops what it staged, and the file's Import then lands the file as a new batch", async () => {
    const open = await openStaged('cancelled-in-history.csv');
    const { batch, message } = await sessions.cancelBatch(open.id);
    expect(batch).toMatchObject({ id: open.id, status: 'cancelled', stagedRows: ROWS });
    expect(message).toBe(
      `Batch ${open.id} was cancelled before its commit step: nothing was imported.`,
    );
    expect(await batchesOf('cancelled-in-history.csv')).toEqual([
      expect.objectContaining({ id: open.id, status: 'cancelled', staged: 0 }),
    ]);

    // The file is still open for review: its Import finds the batch cancelled (the seal is
    // refused) and stages the file again under a new key.
    const result = await sessions.commit('After the cancel');
    expect(result.outcome).toBe('completed');
    const batches = await batchesOf('cancelled-in-history.csv');
    expect(batches.map((b) => b.status)).toEqual(['cancelled', 'completed']);
    expect(batches[1]).toMatchObject({ name: 'After the cancel', totalRows: ROWS });
    expect((await countImported(db.pool, open.id)).items).toBe(0);

    // A settled batch is answered as it is.
    const done = await sessions.cancelBatch(batches[1]?.id ?? '');
    expect(done.batch.status).toBe('completed');
    expect(done.message).toMatch(/^It could not be cancelled any more: Imported /);
  });
});
