import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkBundle } from '../../bin/cli-bundle.mjs';
import { buildCli } from '../../build/build-cli.mjs';
import type { StagedRow } from '../../shared/db/rpc-contract';
import { stagedChunkOf } from '../../shared/db/staging';
import {
  buildRows,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';

// The purchase-import command end to end: the real binary (bin/purchase-import.mjs, which runs
// the precompiled out/cli bundle built here first, or the sources through tsx when a source
// changed since), a real PostgreSQL, files on disk. Asserts exit codes and the --json contract other tooling
// depends on.

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/purchase-import.mjs');
const HEADER =
  'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price,currency,total_amount,store_code,notes';

let db: TestDb;
let url: string;
let merchant: SeededMerchant;
let dir: string;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, PURCHASE_IMPORT_DB: '', PURCHASE_IMPORT_HOME: dir, ...env },
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

function json(run: CliRun): Record<string, unknown> {
  const lines = run.stdout.trim().split('\n');
  expect(lines, `stdout must be exactly one JSON object: ${run.stdout}`).toHaveLength(1);
  return JSON.parse(lines[0] ?? '') as Record<string, unknown>;
}

function toCsv(rows: readonly StagedRow[]): string {
  const lines = rows.map((r) =>
    [
      r.transaction_number,
      r.user_id,
      r.purchased_at,
      r.sku_id,
      r.quantity,
      r.unit_price,
      r.currency ?? '',
      r.total_amount ?? '',
      r.store_code ?? '',
      r.notes ?? '',
    ].join(','),
  );
  return `${HEADER}\n${lines.join('\n')}\n`;
}

async function writeCsv(name: string, rows: readonly StagedRow[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, toCsv(rows));
  return path;
}

async function batchCount(): Promise<number> {
  const result = await db.pool.query<{ n: number }>(
    'select count(*)::int as n from public.bulk_import_batches where merchant_id = $1',
    [merchant.merchantId],
  );
  return result.rows[0]?.n ?? -1;
}

beforeAll(async () => {
  // What users run after `npm ci`: the bundle (rebuilt only if a source changed since).
  if (!checkBundle(ROOT).fresh) await buildCli({ log: () => undefined });
  url = inject('databaseUrl');
  db = openTestDb(url);
  merchant = await seedMerchant(db.pool, { users: 10, skus: 10 });
  dir = await mkdtemp(join(tmpdir(), 'purchase-import-cli-'));
});
afterAll(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('purchase-import check', () => {
  it('reports a valid file with exit 0 and the documented JSON', async () => {
    const rows = buildRows(merchant, { purchases: 4, itemsPerPurchase: 2, withTotals: true });
    const file = await writeCsv('valid.csv', rows);
    const run = await cli([
      'check',
      file,
      '--merchant',
      merchant.merchantId,
      '--db',
      url,
      '--json',
    ]);
    expect(run.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(run.code).toBe(0);
    expect(json(run)).toMatchObject({
      ok: true,
      rows: 8,
      purchases: 4,
      items: 8,
      errors: [],
      unknownUserIds: [],
      unknownSkuIds: [],
      existingTransactionNumbers: [],
    });
    expect(await batchCount()).toBe(0);
  });

  it('names the row, column and value of an unknown SKU and exits 1', async () => {
    const rows = buildRows(merchant, { purchases: 3, itemsPerPurchase: 2 });
    const unknownSku = '0b5c1a54-6c43-4c8e-9a55-6f1f4b0e0d11';
    rows[3] = { ...(rows[3] as StagedRow), sku_id: unknownSku };
    const file = await writeCsv('unknown-sku.csv', rows);
    const run = await cli([
      'check',
      file,
      '--merchant',
      merchant.merchantId,
      '--db',
      url,
      '--json',
    ]);
    expect(run.code).toBe(1);
    const body = json(run);
    expect(body['ok']).toBe(false);
    expect(body['unknownSkuIds']).toEqual([unknownSku]);
    expect(body['errors']).toContainEqual(
      expect.objectContaining({ row: 5, column: 'sku_id', code: 'unknown_sku', value: unknownSku }),
    );
  });
});

describe('purchase-import import', () => {
  it('imports a file as one completed batch, then refuses the same file again', async () => {
    const rows = buildRows(merchant, { purchases: 5, itemsPerPurchase: 3 });
    const file = await writeCsv('import.csv', rows);
    const first = await cli([
      'import',
      file,
      '--merchant',
      merchant.merchantId,
      '--name',
      'CLI import',
      '--db',
      url,
      '--json',
    ]);
    expect(first.code, first.stderr).toBe(0);
    const body = json(first);
    expect(body).toMatchObject({
      ok: true,
      status: 'completed',
      importedPurchases: 5,
      importedItems: 15,
    });
    const batchId = String(body['batchId']);
    const landed = await db.pool.query<{ n: number }>(
      'select count(*)::int as n from public.purchase_items where import_batch_id = $1',
      [batchId],
    );
    expect(landed.rows[0]?.n).toBe(15);

    const again = await cli([
      'import',
      file,
      '--merchant',
      merchant.merchantId,
      '--db',
      url,
      '--json',
    ]);
    expect(again.code).toBe(1);
    const refused = json(again);
    expect(refused['existingTransactionNumbers']).toHaveLength(5);
    expect(refused['status']).toBe('failed');
    expect(refused['importedPurchases']).toBe(0);

    const skipping = await cli([
      'import',
      file,
      '--merchant',
      merchant.merchantId,
      '--db',
      url,
      '--json',
      '--skip-existing',
    ]);
    expect(skipping.code).toBe(0);
    expect(json(skipping)).toMatchObject({ ok: true, batchId: null, importedPurchases: 0 });
  });

  it('refuses a file with invalid values before writing anything', async () => {
    const before = await batchCount();
    const rows = buildRows(merchant, { purchases: 2, itemsPerPurchase: 2 });
    const text = toCsv(rows).replace(/,2,(\d+\.\d\d),EUR/, ',2.5,$1,EUR');
    const file = join(dir, 'bad-quantity.csv');
    await writeFile(file, text);
    const run = await cli([
      'import',
      file,
      '--merchant',
      merchant.merchantId,
      '--db',
      url,
      '--json',
    ]);
    expect(run.code).toBe(1);
    const body = json(run);
    expect(body['batchId']).toBeNull();
    expect(body['errors']).toContainEqual(
      expect.objectContaining({ column: 'quantity', code: 'invalid_integer', value: '2.5' }),
    );
    expect(await batchCount()).toBe(before);
  });

  it('records an unknown SKU as a failed batch that recheck and retry finish once fixed', async () => {
    const rows = buildRows(merchant, { purchases: 3, itemsPerPurchase: 2 });
    const missingSku = '6d1f1f0e-3b7a-4a43-8f0e-2f6f4f8f9a01';
    rows[1] = { ...(rows[1] as StagedRow), sku_id: missingSku };
    const file = await writeCsv('missing-sku.csv', rows);
    const run = await cli([
      'import',
      file,
      '--merchant',
      merchant.merchantId,
      '--db',
      url,
      '--json',
    ]);
    expect(run.code).toBe(1);
    const failed = json(run);
    expect(failed['status']).toBe('failed');
    const batchId = String(failed['batchId']);
    expect(failed['errors']).toContainEqual(
      expect.objectContaining({ row: 3, column: 'sku_id', code: 'unknown_sku' }),
    );

    const stillFailing = await cli(['recheck', batchId, '--db', url, '--json']);
    expect(stillFailing.code).toBe(1);
    expect(json(stillFailing)).toMatchObject({ ok: false, unknownSkuIds: [missingSku] });

    await db.pool.query(
      `insert into public.skus (id, merchant_id, code, name) values ($1, $2, 'NEW-1', 'New product')`,
      [missingSku, merchant.merchantId],
    );
    const passing = await cli(['recheck', batchId, '--db', url, '--json']);
    expect(passing.code).toBe(0);
    expect(json(passing)).toMatchObject({ ok: true, batchId, errors: [] });

    const retried = await cli(['retry', batchId, '--db', url, '--json']);
    expect(retried.code).toBe(0);
    expect(json(retried)).toMatchObject({ ok: true, status: 'completed', importedPurchases: 3 });

    const history = await cli([
      'batches',
      '--merchant',
      merchant.merchantId,
      '--status',
      'completed',
      '--db',
      url,
      '--json',
    ]);
    expect(history.code).toBe(0);
    const listed = json(history)['batches'] as { id: string; status: string }[];
    expect(listed.map((b) => b.id)).toContain(batchId);
    expect(listed.every((b) => b.status === 'completed')).toBe(true);

    const detail = await cli(['batch', batchId, '--db', url, '--json']);
    expect(detail.code).toBe(0);
    expect(json(detail)).toMatchObject({ id: batchId, status: 'completed', errors: [] });
  });
});

describe('purchase-import errors', () => {
  it('exits 2 with a message, not a stack trace, for usage errors', async () => {
    const missing = await cli(['check', join(dir, 'valid.csv'), '--db', url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--merchant');
    expect(missing.stderr).not.toMatch(/\n\s+at /);

    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');

    const badId = await cli(['batch', 'not-a-uuid', '--db', url]);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('ID must be a UUID');
  });

  it('exits 2 when the file cannot be read', async () => {
    const run = await cli([
      'check',
      join(dir, 'does-not-exist.csv'),
      '--merchant',
      merchant.merchantId,
      '--db',
      url,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('does-not-exist.csv');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 3 when the database is unreachable, without printing the password', async () => {
    const rows = buildRows(merchant, { purchases: 1 });
    const file = await writeCsv('unreachable.csv', rows);
    const run = await cli([
      'check',
      file,
      '--merchant',
      merchant.merchantId,
      '--db',
      'postgresql://someone:s3cret-pw@127.0.0.1:9/postgres',
      '--json',
    ]);
    expect(run.code).toBe(3);
    expect(run.stdout + run.stderr).not.toContain('s3cret-pw');
    expect(json(run)).toMatchObject({ ok: false, exitCode: 3 });
  });

  it('exits 1 for a batch id that does not exist', async () => {
    const run = await cli(['batch', '1f0c9e4e-9a7b-4c38-a8f5-0d1b4b6f2c77', '--db', url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('does not exist');
  });
});

describe('the precompiled command (out/cli)', () => {
  it('finds its parse worker and the sql/ folder from the bundle', async () => {
    const name = `cli_bundle_${randomBytes(5).toString('hex')}`;
    await db.pool.query(`create database ${name}`);
    try {
      const fresh = new URL(url);
      fresh.pathname = `/${name}`;
      await buildCli({ log: () => undefined });
      const migrated = await cli(['migrate', '--db', fresh.toString(), '--with-reference-schema']);
      const rows = buildRows(merchant, { purchases: 2, itemsPerPurchase: 2, withTotals: true });
      const file = await writeCsv('bundle.csv', rows);
      const checked = await cli(['check', file, '--merchant', merchant.merchantId, '--db', url]);
      // Still fresh after both runs, so the bin ran out/cli/main.js (build/build-cli.test.ts
      // shows the bin follows checkBundle).
      expect(checkBundle(ROOT)).toMatchObject({ fresh: true });
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.stdout).toMatch(/^Applied .*migrations\/0001_/);
      expect(checked.code, checked.stderr).toBe(0);
    } finally {
      await db.pool.query(`drop database if exists ${name} with (force)`);
    }
  });
});

describe('purchase-import for people (issue 11)', () => {
  let own: SeededMerchant;
  beforeAll(async () => {
    own = await seedMerchant(db.pool, { users: 5, skus: 5 });
  });

  it('says "no such merchant" for a mistyped --merchant instead of unknown-id errors', async () => {
    const rows = buildRows(own, { purchases: 3 });
    const file = await writeCsv('wrong-merchant.csv', rows);
    const typo = '00000000-0000-4000-8000-00000000abcd';
    const run = await cli(['check', file, '--merchant', typo, '--db', url]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`No merchant ${typo} in this database`);
    expect(run.stderr).toContain('Merchants you can use:');
    expect(run.stdout + run.stderr).not.toMatch(/not a known (user|SKU)/);
  });

  it('says a missing file is missing, without the raw ENOENT', async () => {
    const path = join(dir, 'no-such-export.csv');
    const run = await cli(['import', path, '--merchant', own.merchantId, '--db', url]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`No file at ${path}`);
    expect(run.stderr).not.toContain('ENOENT');
  });

  it('prints counts, amounts and dates with Intl, plurals right, phases with elapsed time', async () => {
    const rows = buildRows(own, { purchases: 1, itemsPerPurchase: 1 });
    const file = await writeCsv('one-purchase.csv', rows);
    const run = await cli([
      'import',
      file,
      '--merchant',
      own.merchantId,
      '--name',
      'A name longer than its header',
      '--db',
      url,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('1 row, 1 purchase, 1 item, total ');
    expect(run.stdout).toContain('1 Jan 2026, 08:00 UTC');
    expect(run.stdout).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);
    expect(run.stdout).toMatch(/Imported 1 purchase \(1 item\) as batch /);
    // Not a terminal: one line per phase, each with the time since the start.
    expect(run.stderr).toMatch(/staging… \([\d.,]+ m?s elapsed\)/);
    expect(run.stderr).toMatch(/committing… \([\d.,]+ m?s elapsed\)/);
    expect(run.stderr).toMatch(/done \([\d.,]+ m?s\)/);

    const list = await cli(['batches', '--merchant', own.merchantId, '--db', url]);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.split('\n');
    const header = lines[0] ?? '';
    const row = lines.find((l) => l.includes('A name longer than its header')) ?? '';
    expect(row.indexOf('A name longer than its header')).toBe(header.indexOf('NAME'));
    expect(row.indexOf('completed')).toBe(header.indexOf('STATUS'));
    expect(row).toMatch(/\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC/);
    expect(list.stdout).toContain('1 of 1 batch.');
  });

  it('puts a headline on a failed retry', async () => {
    const rows = buildRows(own, { purchases: 2, itemsPerPurchase: 1 });
    rows[1] = { ...(rows[1] as StagedRow), sku_id: '6d1f1f0e-3b7a-4a43-8f0e-2f6f4f8f9a02' };
    const file = await writeCsv('retry-fails.csv', rows);
    const failed = await cli(['import', file, '--merchant', own.merchantId, '--db', url, '--json']);
    expect(failed.code).toBe(1);
    const batchId = String(json(failed)['batchId']);
    const retry = await cli(['retry', batchId, '--db', url]);
    expect(retry.code).toBe(1);
    expect(retry.stdout.split('\n')[0]).toMatch(
      new RegExp(`^Retry failed: the database refused batch ${batchId} again`),
    );
    expect(retry.stdout).toContain('Nothing was imported.');
    expect(retry.stdout).toContain(`purchase-import recheck ${batchId}`);
  });

  it('cancels a batch left open, and says so when a batch had settled before', async () => {
    // Begun without totals and given one chunk, as an import staging while it reads leaves it.
    const rows = buildRows(own, { purchases: 2, itemsPerPurchase: 2 });
    const open = await db.rpc.call('import_begin_batch', {
      p_merchant_id: own.merchantId,
      p_idempotency_key: randomBytes(8).toString('hex'),
      p_name: 'left open',
      p_file_name: 'left-open.csv',
      p_file_sha256: null,
      p_total_rows: null,
      p_chunk_count: null,
    });
    await db.rpc.call('import_stage_chunk', {
      p_batch_id: open.id,
      p_chunk_no: 0,
      p_rows: stagedChunkOf(rows),
    });
    const cancelled = await cli(['cancel', open.id, '--db', url, '--json']);
    expect(cancelled.code).toBe(0);
    expect(json(cancelled)).toEqual({
      ok: true,
      batchId: open.id,
      status: 'cancelled',
      stagedRows: 4,
    });
    const staged = await db.pool.query(
      'select count(*)::int as n from public.bulk_import_staged_rows where batch_id = $1',
      [open.id],
    );
    expect(staged.rows).toEqual([{ n: 0 }]);

    const file = await writeCsv(
      'cancel-too-late.csv',
      buildRows(own, { purchases: 1, itemsPerPurchase: 1 }),
    );
    const done = await cli(['import', file, '--merchant', own.merchantId, '--db', url, '--json']);
    const doneId = String(json(done)['batchId']);
    const late = await cli(['cancel', doneId, '--db', url]);
    expect(late.code).toBe(1);
    expect(late.stdout).toBe(
      `It could not be cancelled any more: Imported 1 purchase (1 item) as batch ${doneId}.\n`,
    );
  });
});

describe('a file for the wrong merchant, and failed batches by cause', () => {
  let other: SeededMerchant;
  let wrongFile: string;

  beforeAll(async () => {
    // Rows whose SKUs and members all belong to another merchant.
    other = await seedMerchant(db.pool, { users: 6, skus: 5, name: 'Other Shop' });
    wrongFile = await writeCsv('wrong-merchant.csv', buildRows(other, { purchases: 12 }));
  });

  it('stops before writing anything and asks whether the merchant is the right one', async () => {
    const before = await batchCount();
    const text = await cli(['import', wrongFile, '--merchant', merchant.merchantId, '--db', url]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      /unknown to Test merchant [0-9a-f]{8}: is this the right merchant\?\nNothing was written\./,
    );
    expect(text.stdout).toContain('--record-failure');
    const run = await cli([
      'import',
      wrongFile,
      '--merchant',
      merchant.merchantId,
      '--db',
      url,
      '--json',
    ]);
    expect(run.code).toBe(1);
    expect(json(run)).toMatchObject({
      ok: false,
      batchId: null,
      wrongMerchant: { skus: { unknown: 5, total: 5 }, users: { unknown: 6, total: 6 } },
    });
    expect(await batchCount()).toBe(before);
  });

  it('records it for support with --record-failure, and reads it back by cause, a page at a time', async () => {
    const recorded = await cli([
      'import',
      wrongFile,
      '--merchant',
      merchant.merchantId,
      '--db',
      url,
      '--record-failure',
    ]);
    expect(recorded.code).toBe(1);
    // The causes lead, then a page of rows.
    const causes = recorded.stdout.indexOf('Errors by cause:');
    const page = recorded.stdout.indexOf('Row errors 1–');
    expect(causes).toBeGreaterThan(-1);
    expect(page).toBeGreaterThan(causes);
    expect(recorded.stdout).toMatch(/sku_id unknown to this merchant: 36 rows, 5 different values/);
    const batchId = /batch ([0-9a-f-]{36}) is recorded as failed/.exec(recorded.stdout)?.[1] ?? '';
    expect(batchId).not.toBe('');

    const detail = json(
      await cli([
        'batch',
        batchId,
        '--db',
        url,
        '--json',
        '--errors-limit',
        '4',
        '--errors-offset',
        '6',
      ]),
    );
    expect(detail).toMatchObject({ errorTotal: 72, errorsOffset: 6 });
    expect(detail['errors']).toHaveLength(4);
    expect(detail['errorSummary']).toEqual([
      expect.objectContaining({ code: 'unknown_sku', rows: 36, distinctValues: 5 }),
      expect.objectContaining({ code: 'unknown_user', rows: 36, distinctValues: 6 }),
    ]);

    const recheck = await cli(['recheck', batchId, '--db', url, '--errors-limit', '1']);
    expect(recheck.code).toBe(1);
    expect(recheck.stdout).toMatch(
      /still fails: 36 rows refused: 6 unknown user ids, 5 unknown SKU ids/,
    );
    expect(recheck.stdout).toContain(`purchase-import recheck ${batchId} --errors-offset 1`);
    const recheckJson = json(await cli(['recheck', batchId, '--db', url, '--json']));
    expect(recheckJson).toMatchObject({ ok: false, errorTotal: 72, errorRows: 36, resolved: [] });
  });

  it('batch leads with the outcome and, with --errors-csv, writes every row error as History does', async () => {
    const recorded = await cli([
      'import',
      wrongFile,
      '--merchant',
      merchant.merchantId,
      '--db',
      url,
      '--record-failure',
      '--json',
    ]);
    const batchId = String(json(recorded)['batchId']);
    const csv = join(dir, 'batch-errors.csv');
    const run = await cli(['batch', batchId, '--db', url, '--errors-csv', csv]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(
      new RegExp(
        `^The database refused batch ${batchId}: .*72 row errors were recorded\\. Nothing was imported\\.$`,
      ),
    );
    expect(run.stdout).toContain(`Wrote 72 row errors to ${csv}.`);
    const lines = (await readFile(csv, 'utf8')).trim().split(/\r?\n/);
    expect(lines[0]).toBe('row,column,code,message,value');
    expect(lines).toHaveLength(73);
  });

  it('refuses paging options that make no sense', async () => {
    const run = await cli(['batch', merchant.merchantId, '--errors-limit', '-1', '--db', url]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--errors-limit');
  });
});
