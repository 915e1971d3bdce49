import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkBundle } from '../../bin/cli-bundle.mjs';
import { buildCli } from '../../build/build-cli.mjs';
import type { SessionService } from '../../electron/main/services/session/session-service';
import { openAppServices, type AppServices } from '../support/app-services';
import type { StagedRow } from '../../shared/db/rpc-contract';
import { analyseCsvText } from '../../shared/domain/analyse';
import { STYLE, workbookBuffer, type CellSpec } from '../fixtures/write-workbook';
import {
  buildRows,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';

// Excel workbooks end to end (issue 12, item 3): the purchase-import command and the app's
// session service read an .xlsx sheet with typed cells (date serials, money doubles, text ids)
// and import exactly what the same rows as CSV would import.

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/purchase-import.mjs');
const HEADER = [
  'Transaction Number',
  'user_id',
  'purchased_at',
  'sku_id',
  'Qty',
  'unit_price',
  'currency',
  'total_amount',
  'store_code',
  'notes',
];

let db: TestDb;
let url: string;
let merchant: SeededMerchant;
let dir: string;
let sessions: SessionService;
let app: AppServices;

const serial = (iso: string): number => (Date.parse(iso) - Date.UTC(1899, 11, 30)) / 86_400_000;

/** A staged row as Excel keeps it: a date-time serial, numbers as doubles, ids as text. */
function cells(r: StagedRow): CellSpec[] {
  return [
    r.transaction_number,
    r.user_id,
    { v: String(serial(r.purchased_at)), s: STYLE.dateTime },
    r.sku_id,
    r.quantity,
    // The double nearest the price, as Excel stores money typed into a cell.
    { v: String(Number(r.unit_price)), s: STYLE.money },
    r.currency,
    r.total_amount === null ? null : { v: String(Number(r.total_amount)), s: STYLE.money },
    r.store_code,
    r.notes,
  ];
}

async function workbook(
  name: string,
  rows: readonly StagedRow[],
  quantityAt?: number,
): Promise<string> {
  const body = rows.map((r, i) => {
    const line = cells(r);
    if (i === quantityAt) line[4] = 1.5;
    return line;
  });
  const path = join(dir, name);
  await writeFile(
    path,
    await workbookBuffer({
      sheets: [
        { name: 'Read me', rows: [['Exported from the till on 2026-03-01']] },
        { name: 'Purchases', rows: [HEADER, ...body] },
      ],
    }),
  );
  return path;
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, PURCHASE_IMPORT_DB: '', PURCHASE_IMPORT_HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

async function importedItems(batchId: string): Promise<string[]> {
  const result = await db.pool.query<{ line: string }>(
    `select p.transaction_number || ' ' || p.purchased_at::text || ' ' || i.quantity || ' ' || i.unit_price as line
       from public.purchases p join public.purchase_items i on i.purchase_id = p.id
      where p.import_batch_id = $1 order by 1`,
    [batchId],
  );
  return result.rows.map((r) => r.line);
}

beforeAll(async () => {
  if (!checkBundle(ROOT).fresh) await buildCli({ log: () => undefined });
  url = inject('databaseUrl');
  db = openTestDb(url);
  merchant = await seedMerchant(db.pool, { users: 5, skus: 5 });
  app = await openAppServices({
    databaseUrl: url,
    merchantId: merchant.merchantId,
    name: 'xlsx-import',
  });
  ({ sessions, dir } = app);
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('purchase-import on an .xlsx workbook', () => {
  it('asks for the sheet, then checks and imports it exactly', async () => {
    const rows = buildRows(merchant, { purchases: 6, itemsPerPurchase: 3, withTotals: true });
    const file = await workbook('purchases.xlsx', rows);
    const base = ['--merchant', merchant.merchantId, '--db', url, '--time-zone', 'UTC', '--json'];

    const unchosen = await cli(['check', file, ...base]);
    expect(unchosen.code).toBe(2);
    expect(unchosen.stderr + unchosen.stdout).toMatch(
      /it has 2 sheets \("Read me", "Purchases"\): choose one \(--sheet NAME/,
    );

    const check = await cli(['check', file, '--sheet', 'Purchases', ...base]);
    expect(check.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(check.code).toBe(0);
    const read = {
      format: 'xlsx',
      sheet: 'Purchases',
      sheets: [
        { name: 'Read me', hidden: false },
        { name: 'Purchases', hidden: false },
      ],
    };
    expect(JSON.parse(check.stdout)).toMatchObject({
      ok: true,
      rows: 18,
      purchases: 6,
      errors: [],
      source: read,
    });

    const run = await cli(['import', file, '--sheet', 'Purchases', '--name', 'xlsx', ...base]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { batchId: string; importedPurchases: number };
    expect(result).toMatchObject({ source: read });
    expect(result.importedPurchases).toBe(6);
    const expected = rows
      .map(
        (r) =>
          `${r.transaction_number} ${new Date(r.purchased_at).toISOString().replace('T', ' ').replace('.000Z', '+00')} ${r.quantity} ${r.unit_price}`,
      )
      .sort();
    expect(await importedItems(result.batchId)).toEqual(expected);
  });

  it('names the sheet it read when the command did not (the only visible one)', async () => {
    const rows = buildRows(merchant, { purchases: 2, itemsPerPurchase: 1 });
    const path = join(dir, 'one-visible.xlsx');
    await writeFile(
      path,
      await workbookBuffer({
        sheets: [
          { name: 'Lookup', state: 'hidden', rows: [['code', 'name']] },
          { name: 'Orders', rows: [HEADER, ...rows.map(cells)] },
        ],
      }),
    );
    const args = ['check', path, '--merchant', merchant.merchantId, '--db', url];
    const json = await cli([...args, '--time-zone', 'UTC', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      rows: 2,
      source: {
        format: 'xlsx',
        sheet: 'Orders',
        sheets: [
          { name: 'Lookup', hidden: true },
          { name: 'Orders', hidden: false },
        ],
      },
    });
    const text = await cli([...args, '--time-zone', 'UTC']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^one-visible\.xlsx \(sheet "Orders"\): 2 rows/m);
  });

  it("names Excel's row and the column of a bad cell, and exits 1", async () => {
    const rows = buildRows(merchant, { purchases: 3, itemsPerPurchase: 2 });
    const file = await workbook('bad.xlsx', rows, 3);
    const run = await cli([
      'check',
      file,
      '--sheet',
      'Purchases',
      '--merchant',
      merchant.merchantId,
      '--db',
      url,
      '--time-zone',
      'UTC',
      '--json',
    ]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as {
      errors: { row: number; column: string; value: string }[];
    };
    expect(report.errors).toEqual([
      expect.objectContaining({ row: 5, column: 'quantity', value: '1.5' }),
    ]);
  });
});

describe('the session service on an .xlsx workbook', () => {
  it('offers the sheets in the mapping step, opens the one chosen, exports and fixes it, saves it as CSV, commits it', async () => {
    const rows = buildRows(merchant, { purchases: 4, itemsPerPurchase: 2, withTotals: true });
    // Row 5 of the sheet holds quantity 1.5: fixed in the preview before the commit.
    const path = await workbook('session.xlsx', rows, 3);
    const file = { handle: 'b'.repeat(32), name: 'session.xlsx' };

    const first = await sessions.open(path, file, { timeZone: 'UTC' });
    expect(first).toMatchObject({
      kind: 'needs-mapping',
      source: {
        format: 'xlsx',
        sheet: 'Read me',
        sheets: [
          { name: 'Read me', hidden: false },
          { name: 'Purchases', hidden: false },
        ],
      },
    });

    const opened = await sessions.open(path, file, {
      timeZone: 'UTC',
      xlsx: { sheet: 'Purchases' },
    });
    expect(opened.kind).toBe('opened');
    if (opened.kind !== 'opened') return;
    expect(opened.view.summary).toMatchObject({ rows: 8, errorRows: 1 });
    // The error rows export like a CSV's, then the cell is fixed like a CSV's.
    const errorsCsv = join(dir, 'session-errors.csv');
    expect(await sessions.exportErrors(errorsCsv)).toBe(1);
    expect(await readFile(errorsCsv, 'utf8')).toContain('1.5');
    const fixedView = await sessions.editCell(5, 'quantity', String(rows[3]?.quantity));
    expect(fixedView.summary).toMatchObject({ rows: 8, purchases: 4, errorRows: 0 });

    // "Save fixed file" writes CSV, which reads back to the same purchases.
    const fixed = join(dir, 'session-fixed.csv');
    expect(await sessions.saveFixed(fixed)).toBe(8);
    const again = analyseCsvText(await readFile(fixed, 'utf8'), { timeZone: 'UTC' }, 'x.csv');
    expect(again.errors).toEqual([]);
    expect(again.summary.purchases).toBe(4);

    const result = await sessions.commit('xlsx through the app');
    expect(result).toMatchObject({ outcome: 'completed' });
    const count = await db.pool.query<{ n: number }>(
      'select count(*)::int as n from public.purchases where transaction_number = any($1)',
      [rows.map((r) => r.transaction_number)],
    );
    expect(count.rows[0]?.n).toBe(4);
  });
});
