import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkFile, importFile } from '../../electron/core/use-cases';
import { writeCsv } from '../../electron/core/files/csv-write';
import { disposeParseWorkers, parseCsvFile } from '../../electron/core/parse/parse-file';
import { analyseCsvText, analyseCsvTextWithRows } from '../../shared/domain/analyse';
import { revalidateRows } from '../../shared/domain/revalidate-steps';
import type { CanonicalColumn, ImportReport, RawRow } from '../../shared/domain/types';
import { CSV_HEADER } from '../fixtures/generate-purchases';
import { openTestDb, seedMerchant, type SeededMerchant, type TestDb } from '../support/seed';
import {
  caseArbs,
  fileBytes,
  FUZZ_CATEGORIES,
  hugeCases,
  type FuzzCase,
  type FuzzIds,
} from './support/csv-fuzz';
import {
  checkReport,
  comparableReport,
  decodeLikeFileDoor,
  headerErrorBelowRowOne,
  unstorableReason,
} from './support/csv-fuzz-check';
import {
  expectedPurchases,
  parseOptionsFor,
  roundTripFileArb,
  roundTripText,
  type RoundTripFile,
} from './support/csv-fuzz-roundtrip';
import { LONG_RUN, printFigures, runCount, seedFromEnv } from './support/mode';

// Issue #5, fuzzed input. Thousands of generated and mutated CSV files (valid files from
// test/fixtures/generate-purchases.ts with the merchant's real ids, then broken cell by cell,
// column by column, quote by quote, byte by byte) go through the engine. For every one: no
// exception, no hang, and a report that keeps the contract checked in support/csv-fuzz-check.ts
// (clear errors with row, column and value; no row silently dropped). Most run in process
// (analyseCsvText's engine, CsvAnalyser); a sample goes through the real worker thread from disk
// and must give the same report; a sample goes through checkFile and importFile against the
// real database, which must not be written to by a check or by a file refused locally.
//
// fast-check draws the cases from FUZZ_SEED (fixed in CI, random otherwise, printed); a failure shrinks to
// a small file and names the seed and path to replay it.

const SEED = seedFromEnv('FUZZ_SEED');
const RUNS: Record<(typeof FUZZ_CATEGORIES)[number], number> = {
  valid: runCount(800, 8_000),
  cell: runCount(2_000, 20_000),
  structure: runCount(1_600, 16_000),
  quoting: runCount(1_400, 14_000),
  'line-endings': runCount(600, 6_000),
  delimiter: runCount(600, 6_000),
  encoding: runCount(1_200, 12_000),
  'random-bytes': runCount(800, 8_000),
  'random-text': runCount(1_000, 10_000),
};
const WORKER_RUNS = runCount(400, 3_000);
const CHECK_RUNS = runCount(200, 1_000);
const IMPORT_RUNS = runCount(100, 500);
const ROUND_TRIP_RUNS = runCount(1_500, 15_000);
const ROUND_TRIP_WORKER_RUNS = runCount(60, 600);
const HUGE_MB = LONG_RUN ? [1, 2, 3, 4, 5, 1.5, 2.5, 3.5, 4.5, 5] : [1, 2, 1, 5, 1];
/**
 * A case that takes longer than this is treated as a hang. Deliberately minutes, not seconds: a
 * small file takes milliseconds, and a loaded 2-core machine must never fail a case for being
 * slow. Parsing speed is `npm run bench`'s business (parse-100k, parse-1m: ratios).
 */
const HANG_MS = 120_000;

interface CategoryFigures {
  runs: number;
  clean: number;
  refused: number;
  partial: number;
  ms: number;
  bytes: number;
  slowestMs: number;
  slowest: string;
}

const figures = new Map<string, CategoryFigures>();
const extra: Record<string, string | number> = {};

function record(door: string, c: FuzzCase, report: ImportReport, ms: number): void {
  const key = `${door} ${c.category}`;
  const f = figures.get(key) ?? {
    runs: 0,
    clean: 0,
    refused: 0,
    partial: 0,
    ms: 0,
    bytes: 0,
    slowestMs: 0,
    slowest: '',
  };
  f.runs++;
  if (report.errors.length === 0) f.clean++;
  else {
    f.refused++;
    if (report.purchases.length > 0) f.partial++;
  }
  f.ms += ms;
  f.bytes += c.bytes?.length ?? c.text.length;
  if (ms > f.slowestMs) {
    f.slowestMs = ms;
    f.slowest = c.label.slice(0, 120);
  }
  figures.set(key, f);
}

function shown(text: string): string {
  return JSON.stringify(text.length > 600 ? `${text.slice(0, 600)}…(${text.length} chars)` : text);
}

/** Every way a report can break the case's expectation or the general contract. */
function problemsOf(c: FuzzCase, report: ImportReport, rawRows: readonly RawRow[]): string[] {
  const problems = checkReport(report, rawRows);
  const { errors, purchases } = report;
  const e = c.expect;
  const misread = misdetected(c, report);
  if (misread && (e.cleanPurchases !== undefined || e.cells || e.malformedRows)) {
    problems.push(misread);
  }
  if (headerErrorBelowRowOne(report)) {
    problems.push('the header read error is numbered below row 1 (rows 0-1 are file level)');
  }
  for (const p of purchases) {
    const reason = unstorableReason(p);
    if (reason) problems.push(`purchase ${p.transactionNumber} accepted but unstorable: ${reason}`);
  }
  if (e.cleanPurchases !== undefined) {
    if (errors.length > 0) {
      problems.push(
        `expected a clean file, got ${errors.length} errors: ${JSON.stringify(errors.slice(0, 3))}`,
      );
    } else if (purchases.length !== e.cleanPurchases) {
      problems.push(`expected ${e.cleanPurchases} purchases, got ${purchases.length}`);
    }
  }
  if (e.refused && errors.length === 0) problems.push('expected errors, the file was accepted');
  if (e.blocked && !errors.some((x) => x.row <= 1)) {
    problems.push(`expected a file-level error, got ${JSON.stringify(errors.slice(0, 3))}`);
  }
  for (const cell of e.cells ?? []) {
    const hit = errors.some(
      (x) =>
        x.row === cell.row &&
        x.column === cell.column &&
        (cell.value === undefined || x.value === cell.value) &&
        (cell.code === undefined || x.code === cell.code),
    );
    if (!hit) {
      problems.push(
        `expected an error on row ${cell.row} ${cell.column}${cell.code ? ` (${cell.code})` : ''}${
          cell.value === undefined ? '' : ` = ${shown(cell.value)}`
        }; errors there: ${JSON.stringify(errors.filter((x) => x.row === cell.row).slice(0, 4))}`,
      );
    }
  }
  for (const row of e.malformedRows ?? []) {
    if (!errors.some((x) => x.row === row && x.code === 'malformed_csv' && x.column === null)) {
      problems.push(
        `expected row ${row} to be refused as unreadable; errors there: ${JSON.stringify(
          errors.filter((x) => x.row === row).slice(0, 3),
        )}`,
      );
    }
  }
  return problems;
}

/** The delimiter was misread (papaparse's own guess once misread small files), or null. */
function misdetected(c: FuzzCase, report: ImportReport): string | null {
  const detected =
    report.settings?.source.format === 'csv' ? report.settings.source.delimiter : undefined;
  if (c.options.csv?.delimiter !== undefined || !c.fileDelimiter || !detected) return null;
  if (detected === c.fileDelimiter) return null;
  return `delimiter detection: ${JSON.stringify(c.fileDelimiter)} file read as ${JSON.stringify(detected)}`;
}

function failure(c: FuzzCase, door: string, problems: readonly string[]): Error {
  return new Error(
    `${door}: ${c.category} case broke the contract\n  file: ${c.label}\n  options: ${JSON.stringify(
      c.options,
    )}\n  text: ${shown(c.text)}\n  ${problems.join('\n  ')}`,
  );
}

function runInProcess(c: FuzzCase, limitMs: number): ImportReport {
  const started = performance.now();
  let result: ReturnType<typeof analyseCsvTextWithRows>;
  try {
    result = analyseCsvTextWithRows(c.text, c.options, { fileName: 'fuzz.csv', keepRows: true });
  } catch (error) {
    throw failure(c, 'in process', [
      `threw ${error instanceof Error ? error.stack : String(error)}`,
    ]);
  }
  const ms = performance.now() - started;
  const problems = problemsOf(c, result.report, result.rawRows ?? []);
  if (ms > limitMs) problems.push(`took ${Math.round(ms)} ms (limit ${limitMs} ms): a hang`);
  if (problems.length > 0) throw failure(c, 'in process', problems);
  record('in-process', c, result.report, ms);
  return result.report;
}

let dir: string;
let fileNo = 0;

async function writeCase(c: FuzzCase): Promise<string> {
  const path = join(dir, `case-${++fileNo}.csv`);
  await writeFile(path, fileBytes(c));
  return path;
}

/** Through the worker thread from disk; must agree with the in-process door on the same text. */
async function runInWorker(c: FuzzCase, limitMs: number): Promise<ImportReport> {
  const path = await writeCase(c);
  const started = performance.now();
  let result: Awaited<ReturnType<typeof parseCsvFile>>;
  try {
    result = await parseCsvFile(
      path,
      { ...c.options, keepRows: true },
      { signal: AbortSignal.timeout(Math.round(limitMs)) },
    );
  } catch (error) {
    // parseCsvFile answers our timeout's abort with its own AbortError (and ends the worker).
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw failure(c, 'worker', [
      error instanceof Error && error.name === 'AbortError'
        ? `hang: no report after ${Math.round(limitMs)} ms (${text})`
        : `threw ${text}`,
    ]);
  }
  const ms = performance.now() - started;
  const problems = problemsOf(c, result.report, result.rawRows ?? []);
  if (!/^[0-9a-f]{64}$/.test(result.report.fileSha256)) problems.push('no file hash');
  const inProcess = analyseCsvTextWithRows(decodeLikeFileDoor(fileBytes(c)), c.options, {
    fileName: result.report.fileName,
    keepRows: true,
  });
  try {
    expect(comparableReport(result.report)).toEqual(comparableReport(inProcess.report));
    expect(result.rawRows).toEqual(inProcess.rawRows);
  } catch (error) {
    problems.push(`the worker and the in-process door disagree: ${String(error).slice(0, 1500)}`);
  }
  if (problems.length > 0) throw failure(c, 'worker', problems);
  record('worker', c, result.report, ms);
  return result.report;
}

let db: TestDb;
let merchant: SeededMerchant;
let importMerchant: SeededMerchant;
let ids: FuzzIds;

beforeAll(async () => {
  console.log(`[fuzz] seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 12, skus: 24 });
  importMerchant = await seedMerchant(db.pool, { users: 12, skus: 24 });
  ids = { userIds: merchant.userIds, skuIds: merchant.skuIds };
  dir = await mkdtemp(join(tmpdir(), 'reliability-fuzz-'));
});

afterAll(async () => {
  await disposeParseWorkers();
  await db?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  const rows: Record<string, string | number> = { seed: SEED };
  let total = 0;
  let totalMs = 0;
  let slowest = { ms: 0, what: '' };
  for (const [key, f] of [...figures].sort()) {
    total += f.runs;
    totalMs += f.ms;
    if (f.slowestMs > slowest.ms) slowest = { ms: f.slowestMs, what: `${key}: ${f.slowest}` };
    rows[key] =
      `${f.runs} cases (${(f.bytes / 1024 / 1024).toFixed(1)} MB): ${f.clean} clean reports, ` +
      `${f.refused} with clear errors (${f.partial} partly importable); ` +
      `${(f.ms / f.runs).toFixed(2)} ms avg, slowest ${f.slowestMs.toFixed(0)} ms`;
  }
  rows['cases in all'] = total;
  rows['throughput'] = `${Math.round(total / (totalMs / 1000))} cases/s (analysis time only)`;
  rows['slowest case'] = `${slowest.ms.toFixed(0)} ms, ${slowest.what}`;
  rows['thrown / hung'] = '0 (any would have failed its test)';
  printFigures('fuzz', { ...rows, ...extra });
});

describe('the contract checker', () => {
  it('notices a vanished row, a wrong error value and a purchase with an errored row', () => {
    const text = caseTextForCheckerTest();
    const { report, rawRows = [] } = analyseCsvTextWithRows(
      text,
      {},
      { fileName: 'x', keepRows: true },
    );
    expect(checkReport(report, rawRows)).toEqual([]);
    expect(report.purchases.length).toBeGreaterThan(1);
    const dropped = { ...report, purchases: report.purchases.slice(1) };
    expect(checkReport(dropped, rawRows).join()).toContain('vanished');
    const bad = analyseCsvTextWithRows(
      text.replace(',2.50,', ',2.5x,'),
      {},
      {
        fileName: 'x',
        keepRows: true,
      },
    );
    const [first] = bad.report.errors;
    if (!first) throw new Error('the broken price was not flagged');
    expect(first).toMatchObject({ column: 'unit_price', value: '2.5x' });
    const wrongValue = { ...bad.report, errors: [{ ...first, value: '2.50' }] };
    expect(checkReport(wrongValue, bad.rawRows ?? []).join()).toContain("not the cell's text");
    const kept = { ...bad.report, purchases: report.purchases };
    expect(checkReport(kept, bad.rawRows ?? []).join()).toContain('has an error');
  });
});

describe('fuzzed CSV files, in process', () => {
  FUZZ_CATEGORIES.forEach((category, i) => {
    it(`${category}: a report or a clear error, never a crash or a hang`, () => {
      const arb = caseArbs(ids)[category];
      fc.assert(
        fc.property(arb, (c) => {
          runInProcess(c, HANG_MS);
        }),
        { numRuns: RUNS[category], seed: SEED + i },
      );
    });
  });
});

describe('fuzzed CSV files through the worker thread, from disk', () => {
  it('every category: same report as in process, no crash, no hang', async () => {
    const all = caseArbs(ids);
    const arb = fc.oneof(...FUZZ_CATEGORIES.map((c) => all[c]));
    await fc.assert(
      fc.asyncProperty(arb, async (c) => {
        await runInWorker(c, HANG_MS);
      }),
      { numRuns: WORKER_RUNS, seed: SEED + 100 },
    );
  });

  it('huge fields (1-5 MB) are refused with their row, without hanging, through both doors', async () => {
    const started = performance.now();
    for (const c of hugeCases(ids, HUGE_MB)) {
      const size = c.text.length / (1024 * 1024);
      // A hang is minutes, not seconds: a loaded two-core box parses ~20 MB/s here.
      const limit = HANG_MS + size * 10_000;
      runInProcess(c, limit);
      await runInWorker(c, limit);
    }
    extra['huge fields'] =
      `${HUGE_MB.length} files (${HUGE_MB.join(', ')} MB), both doors, ${Math.round(
        performance.now() - started,
      )} ms`;
  });
});

interface Counts {
  batches: number;
  chunks: number;
  stagedRows: number;
  purchases: number;
  items: number;
}

async function countsOf(merchantId: string): Promise<Counts> {
  const result = await db.pool.query<Counts>(
    `select
       (select count(*)::int from public.bulk_import_batches where merchant_id = $1) as batches,
       (select count(*)::int from public.bulk_import_staged_chunks c
          join public.bulk_import_batches b on b.id = c.batch_id where b.merchant_id = $1) as chunks,
       (select count(*)::int from public.bulk_import_staged_rows r
          join public.bulk_import_batches b on b.id = r.batch_id where b.merchant_id = $1) as "stagedRows",
       (select count(*)::int from public.purchases where merchant_id = $1) as purchases,
       (select count(*)::int from public.purchase_items i
          join public.purchases p on p.id = i.purchase_id where p.merchant_id = $1) as items`,
    [merchantId],
  );
  const row = result.rows[0];
  if (!row) throw new Error('no counts');
  return row;
}

describe('fuzzed CSV files against the database', () => {
  it('checkFile never writes, and flags the unknown users the mutations put in', async () => {
    const all = caseArbs(ids);
    const arb = fc.oneof(...FUZZ_CATEGORIES.map((c) => all[c]));
    const before = await countsOf(merchant.merchantId);
    let checked = 0;
    let unknownFlagged = 0;
    await fc.assert(
      fc.asyncProperty(arb, async (c) => {
        const path = await writeCase(c);
        let report: ImportReport;
        try {
          report = (await checkFile(db.rpc, { path, merchantId: merchant.merchantId })).report;
        } catch (error) {
          throw failure(c, 'checkFile', [`threw ${String(error)}`]);
        }
        checked++;
        const problems: string[] = [];
        for (const e of report.errors) {
          if (e.row >= 2 && e.column === null && e.code !== 'malformed_csv') {
            problems.push(`row error without a column: ${JSON.stringify(e)}`);
          }
        }
        for (const row of c.expect.unknownUserRows ?? []) {
          const hit = report.errors.some(
            (e) => e.row === row && e.column === 'user_id' && e.code === 'unknown_user',
          );
          if (!hit) problems.push(`row ${row} has an unknown user and is not flagged`);
          else unknownFlagged++;
        }
        const after = await countsOf(merchant.merchantId);
        if (JSON.stringify(after) !== JSON.stringify(before)) {
          problems.push(`checkFile wrote: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
        }
        if (problems.length > 0) throw failure(c, 'checkFile', problems);
      }),
      { numRuns: CHECK_RUNS, seed: SEED + 200 },
    );
    expect(await countsOf(merchant.merchantId)).toEqual(before);
    extra['checkFile (database)'] =
      `${checked} files checked, nothing written; ${unknownFlagged} unknown-user rows flagged`;
  });

  it('importFile writes nothing at all for a file with local errors', async () => {
    // The import merchant's own ids, so the valid files among them import for real.
    const all = caseArbs({ userIds: importMerchant.userIds, skuIds: importMerchant.skuIds });
    // Mostly files that should be refused, some valid ones so the writing path runs as well.
    const arb = fc.oneof(
      { weight: 1, arbitrary: all.valid },
      { weight: 3, arbitrary: all.cell },
      { weight: 3, arbitrary: all.structure },
      { weight: 2, arbitrary: all.quoting },
      { weight: 2, arbitrary: all.encoding },
      { weight: 1, arbitrary: all['random-text'] },
    );
    const outcomes = { refused: 0, completed: 0, failed: 0, nothing: 0, streamed: 0 };
    await fc.assert(
      // Every other file is staged while it is read, two rows a chunk (issue 14): a refused one
      // must leave no batch, chunk or staged row behind either.
      fc.asyncProperty(arb, fc.boolean(), async (c, stream) => {
        const path = await writeCase(c);
        const before = await countsOf(importMerchant.merchantId);
        let outcome: Awaited<ReturnType<typeof importFile>>;
        if (stream) outcomes.streamed++;
        try {
          outcome = await importFile(db.rpc, {
            path,
            merchantId: importMerchant.merchantId,
            ...(stream ? { stream: true, chunkRows: 2 } : {}),
          });
        } catch (error) {
          throw failure(c, 'importFile', [`threw ${String(error)}`]);
        }
        const after = await countsOf(importMerchant.merchantId);
        const problems: string[] = [];
        const local = outcome.checked.localReport;
        if (local.errors.length > 0) {
          outcomes.refused++;
          if (outcome.kind !== 'refused-locally') {
            problems.push(`a file with local errors was sent to the database (${outcome.kind})`);
          }
          if (JSON.stringify(after) !== JSON.stringify(before)) {
            problems.push(
              `refused locally but wrote: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`,
            );
          }
        } else if (outcome.kind === 'batch') {
          const { batch } = outcome;
          if (batch.status === 'completed') {
            outcomes.completed++;
            const items = local.purchases.reduce((n, p) => n + p.items.length, 0);
            if (after.items - before.items !== items) {
              problems.push(
                `completed batch added ${after.items - before.items} items, file had ${items}`,
              );
            }
            if (after.purchases - before.purchases !== local.purchases.length) {
              problems.push(
                `completed batch added ${after.purchases - before.purchases} purchases, file had ${local.purchases.length}`,
              );
            }
          } else {
            outcomes.failed++;
            if (batch.status !== 'failed') problems.push(`batch left ${batch.status}`);
            if (after.purchases !== before.purchases)
              problems.push('a failed batch wrote purchases');
          }
        } else {
          outcomes.nothing++;
        }
        if (problems.length > 0) throw failure(c, 'importFile', problems);
      }),
      { numRuns: IMPORT_RUNS, seed: SEED + 300 },
    );
    extra['importFile (database)'] =
      `${outcomes.refused} refused locally with nothing written, ${outcomes.completed} completed, ` +
      `${outcomes.failed} refused by the database (failed batch), ${outcomes.nothing} nothing to import; ` +
      `${outcomes.streamed} of them staged while read`;
  });
});

function caseTextForCheckerTest(): string {
  const user = merchant.userIds[0] ?? '';
  const sku = merchant.skuIds[0] ?? '';
  return (
    `${CSV_HEADER.join(',')}\n` +
    `T1,${user},2026-03-04T10:15:00Z,${sku},1,2.50,EUR,,S1,\n` +
    `T2,${user},2026-03-04T11:15:00Z,${sku},1,3.00,EUR,,S1,\n`
  );
}

/** The purchases read back are exactly those written. */
function expectSame(file: RoundTripFile, report: ImportReport): void {
  expect(report.settings?.source).toMatchObject({ format: 'csv', delimiter: file.delimiter });
  expect(report.errors).toEqual([]);
  expect(report.purchases).toEqual(expectedPurchases(file));
}

describe('round trip: purchases -> CSV -> engine -> the same purchases', () => {
  it('in process, written by papaparse or by the save-fixed-file writer', () => {
    const started = performance.now();
    const writers = { papaparse: 0, 'save-fixed': 0 };
    fc.assert(
      fc.property(roundTripFileArb(ids.userIds), (file) => {
        const report = analyseCsvText(roundTripText(file), parseOptionsFor(file), 'round-trip.csv');
        expectSame(file, report);
        writers[file.writer]++;
      }),
      { numRuns: ROUND_TRIP_RUNS, seed: SEED + 400 },
    );
    extra['round trip, in process'] =
      `${ROUND_TRIP_RUNS} files (${writers.papaparse} papaparse, ${writers['save-fixed']} save-fixed), ` +
      `${Math.round(performance.now() - started)} ms, all read back the same`;
  });

  it('through the worker thread from disk, in UTF-8, UTF-8 with BOM and UTF-16 with BOM', async () => {
    const started = performance.now();
    const encodings = ['utf8', 'utf8-bom', 'utf16le', 'utf16be'] as const;
    await fc.assert(
      fc.asyncProperty(
        roundTripFileArb(ids.userIds),
        fc.constantFrom(...encodings),
        async (file, encoding) => {
          const text = roundTripText(file).replace(/^\ufeff/, '');
          let bytes: Buffer;
          if (encoding === 'utf8') bytes = Buffer.from(text, 'utf8');
          else if (encoding === 'utf8-bom') bytes = Buffer.from(`\ufeff${text}`, 'utf8');
          else {
            bytes = Buffer.from(`\ufeff${text}`, 'utf16le');
            if (encoding === 'utf16be') bytes.swap16();
          }
          const path = join(dir, `round-trip-${++fileNo}.csv`);
          await writeFile(path, bytes);
          const { report } = await parseCsvFile(path, parseOptionsFor(file), {
            signal: AbortSignal.timeout(HANG_MS),
          });
          expectSame(file, report);
        },
      ),
      { numRuns: ROUND_TRIP_WORKER_RUNS, seed: SEED + 500 },
    );
    extra['round trip, worker'] =
      `${ROUND_TRIP_WORKER_RUNS} files, ${Math.round(performance.now() - started)} ms; ` +
      'all read back the same';
  });
});

// Minimal counterexamples of the bugs the fuzzing found (all fixed): each states the behaviour
// the app must keep, and the fuzz loops above now fail on any new shape of them.
describe('regressions found by fuzzing', () => {
  /** One valid line item of the merchant, with some cells replaced. */
  function oneRow(cells: Partial<Record<CanonicalColumn, string>>, delimiter = ','): string {
    const row: Record<CanonicalColumn, string> = {
      transaction_number: 'T-1',
      user_id: merchant.userIds[0] ?? '',
      purchased_at: '2026-03-04T10:15:00Z',
      sku_id: merchant.skuIds[0] ?? '',
      quantity: '2',
      unit_price: '2.50',
      currency: 'EUR',
      total_amount: '',
      store_code: 'S1',
      notes: '',
      user_email: '',
      sku_code: '',
      ...cells,
    };
    return `${CSV_HEADER.join(delimiter)}\n${CSV_HEADER.map((c) => row[c]).join(delimiter)}\n`;
  }

  it('small files are read with the delimiter they were written with', () => {
    // papaparse's guess (used when no delimiter is chosen) compares field counts over the first
    // lines, including the empty record after the last line break; in files of a few rows a ','
    // or ';' inside values outvotes the real delimiter. The file is then refused for "missing
    // required columns", though it is valid.
    const user = merchant.userIds[0] ?? '';
    const sku = merchant.skuIds[0] ?? '';
    const files: Record<string, { delimiter: string; text: string }> = {
      "';' with decimal commas": {
        delimiter: ';',
        text:
          'transaction_number;user_id;purchased_at;sku_id;quantity;unit_price;currency;total_amount\n' +
          `T1;${user};2026-01-01T05:54:32Z;${sku};2;306,42;EUR;612,84\n` +
          `T2;${user};2026-03-31T12:49:03Z;${sku};3;123,77;EUR;371,31\n`,
      },
      "',' with a quoted note ending in ';'": {
        delimiter: ',',
        // Quoting every text cell is valid CSV, and many exporters do it.
        text: oneRow({ notes: '"pizza; no onions;"' }),
      },
      "'|' with commas in two cells": {
        delimiter: '|',
        text:
          'transaction_number|user_id|purchased_at|sku_id|quantity|unit_price|store_code\n' +
          `a, b|${user}|2026-01-01T00:00:00Z|${sku}|1|0.00|a, b\n` +
          `a, b|${user}|2026-01-01T00:00:00Z|${sku}|1|0.00|a, b\n`,
      },
    };
    const read = Object.fromEntries(
      Object.entries(files).map(([name, file]) => {
        const report = analyseCsvText(file.text, {}, 'small.csv');
        return [
          name,
          `${(report.settings?.source.format === 'csv' ? report.settings.source.delimiter : undefined) ?? '?'} (${report.errors.length} errors)`,
        ];
      }),
    );
    expect(read).toEqual(
      Object.fromEntries(
        Object.entries(files).map(([name, f]) => [name, `${f.delimiter} (0 errors)`]),
      ),
    );
  });

  it('a NUL character in a text cell is refused with its row and column', () => {
    for (const cells of [
      { notes: 'gift\u0000wrap' },
      { store_code: 'S\u00001' },
      { transaction_number: 'T\u00001' },
    ]) {
      const report = analyseCsvText(oneRow(cells), {}, 'nul.csv');
      const [column, value] = Object.entries(cells)[0] ?? ['', ''];
      expect(report.errors, JSON.stringify(cells)).toContainEqual(
        expect.objectContaining({ row: 2, column, value }),
      );
      expect(report.purchases).toEqual([]);
    }
  });

  it('purchased_at outside the years 0001-9999 (once in UTC) is refused with its row', () => {
    for (const at of ['0000-06-01T00:00:00Z', '9999-12-31T23:00:00-18:00']) {
      const report = analyseCsvText(oneRow({ purchased_at: at }), {}, 'year.csv');
      expect(report.errors, at).toContainEqual(
        expect.objectContaining({ row: 2, column: 'purchased_at', value: at }),
      );
    }
  });

  it('a UTF-16LE file with an unpaired surrogate is refused like other undecodable text', async () => {
    const text = oneRow({ notes: 'half \ud83d pair' });
    const path = join(dir, 'lone-surrogate-utf16le.csv');
    await writeFile(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const { report } = await parseCsvFile(path, {});
    expect(report.errors).toContainEqual(
      expect.objectContaining({ row: 2, column: 'notes', code: 'malformed_csv' }),
    );
    expect(report.purchases).toEqual([]);
  });

  it('importFile refuses these files locally and writes nothing (once: a pending batch and a database error)', async () => {
    const own = await seedMerchant(db.pool, { users: 2, skus: 2 });
    const files = {
      'NUL in notes': { notes: 'gift\u0000wrap' },
      'NUL in transaction_number': { transaction_number: 'T\u00001' },
      'year 0000': { purchased_at: '0000-06-01T00:00:00Z' },
    };
    const outcomes: Record<string, string> = {};
    for (const [name, cells] of Object.entries(files)) {
      const path = join(dir, `${name.replace(/\W+/g, '-')}.csv`);
      const text = oneRow(cells)
        .replace(merchant.userIds[0] ?? '', own.userIds[0] ?? '')
        .replace(merchant.skuIds[0] ?? '', own.skuIds[0] ?? '');
      await writeFile(path, text);
      outcomes[name] = await importFile(db.rpc, { path, merchantId: own.merchantId }).then(
        (outcome) => outcome.kind,
        (error: unknown) => `threw ${String(error)}`,
      );
    }
    const counts = await countsOf(own.merchantId);
    expect({ outcomes, batches: counts.batches }).toEqual({
      outcomes: {
        'NUL in notes': 'refused-locally',
        'NUL in transaction_number': 'refused-locally',
        'year 0000': 'refused-locally',
      },
      batches: 0,
    });
  });

  it('an unreadable header after a blank line stays a file-level defect, also after an edit', () => {
    // The header's read error is numbered with the header's line (2 here); everything else
    // (revalidateRows, the session's blocked reason, the preview's "Header:") takes only rows
    // 0-1 as the file's own defects. After any edit the purchases come back, and the session
    // says "1 row has errors: fix them or delete them" about a row the grid does not have.
    const header = `${CSV_HEADER.slice(0, 9).join(',')},"notes"x,extra,"y"`;
    const data = oneRow({}).split('\n')[1] ?? '';
    const text = `\n${header}\n${data}\n`;
    const { report, rawRows = [] } = analyseCsvTextWithRows(
      text,
      {},
      {
        fileName: 'header.csv',
        keepRows: true,
      },
    );
    const headerError = report.errors.find((e) => e.message.startsWith('the header row'));
    expect(headerError).toBeDefined();
    const edited = revalidateRows({
      report,
      rawRows,
      edits: [{ row: rawRows[0]?.row ?? 3, cells: { notes: 'edited' } }],
    });
    expect({ row: headerError?.row, purchasesAfterEdit: edited.report.purchases.length }).toEqual({
      row: 1,
      purchasesAfterEdit: 0,
    });
  });

  it('a file written by "save fixed file" reads back with the same values (cells starting = + - @)', async () => {
    const path = join(dir, 'saved-fixed.csv');
    const row: Record<CanonicalColumn, string> = {
      transaction_number: '-1001',
      user_id: merchant.userIds[0] ?? '',
      purchased_at: '2026-03-04T10:15:00Z',
      sku_id: merchant.skuIds[0] ?? '',
      quantity: '1',
      unit_price: '2.50',
      currency: 'EUR',
      total_amount: '',
      store_code: '+S1',
      notes: '=1+1 at the till',
      user_email: '',
      sku_code: '',
    };
    // What session-service saveFixed does: writeCsv(path, columns, rows of raw cells, verbatim).
    await writeCsv(path, CSV_HEADER, [CSV_HEADER.map((c) => row[c])], { neutralise: false });
    const { report } = await parseCsvFile(path, {});
    expect(report.errors).toEqual([]);
    expect(report.purchases[0]).toMatchObject({
      transactionNumber: '-1001',
      storeCode: '+S1',
      notes: '=1+1 at the till',
    });
  });
});
