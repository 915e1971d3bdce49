import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPgTransport } from '../../electron/core/db/pg-transport';
import type { ImportFileInput } from '../../electron/core/use-cases';
import {
  describePhases,
  expectedOf,
  landedOf,
  timedImportFile,
  type Expected,
  type TimedImport,
} from '../bench/scale-bench';
import { writePurchasesCsv } from '../fixtures/generate-purchases';
import { openTestDb, seedMerchant, type SeededMerchant, type TestDb } from '../support/seed';
import { LONG_RUN, printFigures, runCount } from './support/mode';

// Scale (issue #5): several merchants importing at once, and one big file end to end, through
// importFile (parse worker → reference check → begin → stage → commit) with one transport (own
// pool) per import, as separate app instances or CLI runs would have. `npm run bench --
// scale-1m parallel-5x100k` measures the same on a server of its own, in separate processes.

const PARALLEL = 5;
const PARALLEL_ROWS = runCount(20_000, 100_000);
const BIG_ROWS = runCount(100_000, 1_000_000);
/**
 * A hang ceiling, not a budget: 100k rows take ~10 s here on a loaded box, 1M rows ~2 min. Speed
 * is `npm run bench` (scale-1m: per-row ratio against 100k rows in the same run).
 */
const BIG_LIMIT_MS = runCount(240_000, 1_800_000);

let db: TestDb;
let dir: string;
const figures: Record<string, string | number> = {};

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  dir = await mkdtemp(join(tmpdir(), 'reliability-scale-'));
});
afterAll(async () => {
  await db?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  printFigures('scale', figures);
});

interface Prepared {
  merchant: SeededMerchant;
  input: ImportFileInput;
  expected: Expected;
  bytes: number;
}

/** A merchant of its own and a generated file of `rows` rows over its users and SKUs. */
async function prepare(rows: number, seed: number): Promise<Prepared> {
  const merchant = await seedMerchant(db.pool, { users: 2_000, skus: 300 });
  const options = { rows, userIds: merchant.userIds, skuIds: merchant.skuIds, seed };
  const path = join(dir, `scale-${rows}-${seed}.csv`);
  await writePurchasesCsv(path, options);
  return {
    merchant,
    input: { path, merchantId: merchant.merchantId, name: `scale ${rows} #${seed}` },
    expected: expectedOf(options),
    bytes: (await stat(path)).size,
  };
}

/** importFile over a transport of its own, closed afterwards. */
async function importAlone(prepared: Prepared): Promise<TimedImport> {
  const transport = createPgTransport({ connectionString: inject('databaseUrl') }, 'scale');
  try {
    return await timedImportFile(transport, prepared.input);
  } finally {
    await transport.close();
  }
}

/** The batch completed and the CRM tables hold exactly the file: counts, amount, no strays. */
async function expectLandedExactly(run: TimedImport, prepared: Prepared): Promise<void> {
  const { expected } = prepared;
  expect({ status: run.status, error: run.errorMessage }).toEqual({
    status: 'completed',
    error: null,
  });
  expect({ purchases: run.importedPurchases, items: run.importedItems }).toEqual({
    purchases: expected.purchases,
    items: expected.rows,
  });
  expect(await landedOf(db.pool, run.batchId, prepared.merchant.merchantId)).toEqual({
    purchases: expected.purchases,
    items: expected.rows,
    amountCents: expected.amountCents,
    merchantPurchases: expected.purchases,
  });
}

const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

describe('several merchants importing at once', () => {
  it(`${PARALLEL} imports of ${PARALLEL_ROWS} rows in parallel each land completely and exactly`, async () => {
    const alone = await prepare(PARALLEL_ROWS, 200);
    const files: Prepared[] = [];
    for (let i = 1; i <= PARALLEL; i++) files.push(await prepare(PARALLEL_ROWS, 200 + i));

    // One alone first, on the same server under the same load, as the yardstick.
    const aloneRun = await importAlone(alone);
    await expectLandedExactly(aloneRun, alone);

    const started = performance.now();
    const settled = await Promise.allSettled(files.map((file) => importAlone(file)));
    const wallMs = performance.now() - started;

    expect(settled.filter((s) => s.status === 'rejected').map((s) => String(s.reason))).toEqual([]);
    const runs = settled.map((s) => (s as PromiseFulfilledResult<TimedImport>).value);
    expect(new Set(runs.map((run) => run.batchId)).size).toBe(PARALLEL);
    for (const [index, run] of runs.entries()) {
      const file = files[index];
      if (!file) throw new Error('no file');
      await expectLandedExactly(run, file);
    }

    const slowest = Math.max(...runs.map((run) => run.phases.totalMs));
    figures[`${PARALLEL} x ${PARALLEL_ROWS} rows in parallel: wall`] = sec(wallMs);
    figures[`one ${PARALLEL_ROWS} alone`] = sec(aloneRun.phases.totalMs);
    figures['parallel wall / alone'] = (wallMs / aloneRun.phases.totalMs).toFixed(2);
    figures['slowest parallel import'] = describePhases(
      runs.find((run) => run.phases.totalMs === slowest)?.phases ?? aloneRun.phases,
    );
    // Five at once must not be much worse than five one after another (2 cores shared with
    // other suites): a lock held across merchants or a serialised pool would show here.
    expect(wallMs).toBeLessThan(PARALLEL * 2 * aloneRun.phases.totalMs + 10_000);
  });
});

describe('one big file end to end', () => {
  it(`${BIG_ROWS} rows through importFile land exactly, without hanging`, async () => {
    const big = await prepare(BIG_ROWS, 300);
    const run = await importAlone(big);
    await expectLandedExactly(run, big);

    const p = run.phases;
    figures[`${BIG_ROWS} rows (${Math.round(big.bytes / 1024 / 1024)} MB)`] = describePhases(p);
    figures[`${BIG_ROWS} rows: rows per second`] = Math.round(BIG_ROWS / (p.totalMs / 1000));
    figures['peak RSS of the test process (incl. parse workers)'] =
      `${Math.round((process.resourceUsage().maxRSS * 1024) / 1024 / 1024)} MB`;
    // The phases account for the whole import (they are cut at the RPC calls; the staging done
    // while the file was read lies inside parseMs, so only what came after the check is added).
    expect(p.parseMs + p.referenceMs + p.stagingAfterCheckMs + p.commitMs).toBeCloseTo(
      p.totalMs,
      0,
    );
    expect(p.stageCalls).toBeGreaterThanOrEqual(Math.floor(BIG_ROWS / 5_000));
    expect(p.totalMs).toBeLessThan(BIG_LIMIT_MS);
    if (LONG_RUN) figures['commit call (Supabase limit 8 s)'] = sec(p.commitMs);
  });
});
