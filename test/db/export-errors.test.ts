import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SessionService } from '../../electron/main/services/session/session-service';
import { openAppServices, type AppServices } from '../support/app-services';
import type { StagedRow } from '../../shared/db/rpc-contract';
import {
  beginAndStage,
  buildRows,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';

// The two error exports a user opens in a spreadsheet (the open file's error rows, a failed
// batch's errors), through the session service the IPC handlers call: every cell starting with
// one of the documented formula characters (= + - @ tab CR) comes out neutralised. Asserted as
// "starts with an apostrophe and keeps the text", so a wider neutralisation still passes.
// (test/reliability/security.test.ts checks the same through the IPC dispatch with more payloads.)

const FORMULA_STARTS = ['=', '+', '-', '@', '\t', '\r'];

let db: TestDb;
let merchant: SeededMerchant;
let dir: string;
let sessions: SessionService;
let app: AppServices;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 3, skus: 3 });
  app = await openAppServices({
    databaseUrl: inject('databaseUrl'),
    merchantId: merchant.merchantId,
    name: 'export-errors',
  });
  ({ sessions, dir } = app);
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

function readCsv(text: string): string[][] {
  const parsed = Papa.parse<string[]>(text.replace(/^\ufeff/, ''), { skipEmptyLines: true });
  return parsed.data;
}

/** Neutralised: an apostrophe first, the original text kept after it. */
function expectNeutralised(exported: string | undefined, original: string): void {
  expect({ original, exported: exported?.startsWith("'") }).toEqual({ original, exported: true });
  expect(exported?.endsWith(original.trimEnd())).toBe(true);
}

const csvQuote = (cell: string): string => `"${cell.replaceAll('"', '""')}"`;

describe('error exports', () => {
  it("neutralise the open file's error rows, cell by cell", async () => {
    const [user, sku] = [merchant.userIds[0] as string, merchant.skuIds[0] as string];
    const header =
      'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price,currency,total_amount,store_code,notes';
    const payloads = FORMULA_STARTS.map((start) => `${start}SUM(A1:A9)`);
    // quantity 0 makes each row an error row; the payload sits in store_code and notes.
    const lines = payloads.map((payload, i) =>
      [
        `XE${i}-${randomUUID().slice(0, 6)}`,
        user,
        '2026-03-01T10:00:00Z',
        sku,
        '0',
        '12.50',
        'EUR',
        '',
        csvQuote(payload),
        csvQuote(`x${payload}`),
      ].join(','),
    );
    const path = join(dir, 'formulas.csv');
    await writeFile(path, [header, ...lines].join('\r\n'));
    await sessions.open(path, { handle: 'a'.repeat(32), name: 'formulas.csv' });

    const out = join(dir, 'errors.csv');
    expect(await sessions.exportErrors(out)).toBe(payloads.length);
    const [head, ...rows] = readCsv(await readFile(out, 'utf8'));
    const storeColumn = head?.indexOf('store_code') ?? -1;
    const notesColumn = head?.indexOf('notes') ?? -1;
    expect(rows).toHaveLength(payloads.length);
    for (const [i, payload] of payloads.entries()) {
      expectNeutralised(rows[i]?.[storeColumn], payload);
      // Only the first character counts: a formula character later in a cell is left alone.
      expect(rows[i]?.[notesColumn]).toBe(`x${payload}`);
    }
  });

  it("neutralise a failed batch's error values", async () => {
    const values = FORMULA_STARTS.map((start) => `${start}AB`);
    const rows: StagedRow[] = values.map((currency, i) => ({
      ...(buildRows(merchant, {
        purchases: 1,
        itemsPerPurchase: 1,
        firstRow: 2 + i,
      })[0] as StagedRow),
      currency, // not an ISO code: the database refuses each row, quoting the value
    }));
    const { batchId } = await beginAndStage(db.rpc, merchant, rows);
    const failed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(failed.errors.map((e) => e.value)).toEqual(values);

    const out = join(dir, `batch-errors-${batchId}.csv`);
    expect(await sessions.exportBatchErrors(batchId, out)).toBe(values.length);
    const [head, ...lines] = readCsv(await readFile(out, 'utf8'));
    expect(head).toEqual(['row', 'column', 'code', 'message', 'value']);
    for (const [i, value] of values.entries()) expectNeutralised(lines[i]?.[4], value);
  });
});
