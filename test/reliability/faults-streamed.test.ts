import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { disposeParseWorkers } from '../../electron/core/parse/parse-file';
import { importFile, type ImportOutcome } from '../../electron/core/use-cases';
import { writePurchasesCsv } from '../fixtures/generate-purchases';
import { seedMerchant, type SeededMerchant } from '../support/seed';
import {
  openImporter,
  seededRandom,
  sleep,
  terminateImporter,
  waitUntilRunning,
  type KillTarget,
} from './support/fault-kit';
import { printFigures, runCount, seedFromEnv } from './support/mode';

// Issue 14's staging while the file is read, under faults on a real PostgreSQL: the importing
// connections are terminated (pg_terminate_backend) at a random moment of an import that stages
// its file while reading it (begin of the open batch, chunks, the seal, the commit). Whatever the
// attempt answered, the merchant then holds all of the file's purchases or none; a retry with the
// same idempotency key lands it exactly once, under one batch.
// FAULTS_SEED=<seed> replays the same kill delays (the machine's timing still varies).

const SEED = seedFromEnv('FAULTS_SEED');
const random = seededRandom(SEED + 14);
const RUNS = runCount(8, 40);
const PURCHASES = 700;
const CHUNK_ROWS = 150;
const AIMS = ['import_stage_chunk', 'import_commit_batch', null] as const;

let admin: pg.Pool;
let merchant: SeededMerchant;
let dir: string;
let url: string;
let calibrationMs = 0;
const records: { target: KillTarget | 'not fired'; first: string; retried: boolean }[] = [];

beforeAll(async () => {
  url = inject('databaseUrl');
  admin = new pg.Pool({ connectionString: url, max: 3 });
  admin.on('error', () => undefined);
  merchant = await seedMerchant(admin, { users: 40, skus: 40 });
  dir = await mkdtemp(join(tmpdir(), 'faults-streamed-'));
  // One untouched import measures how long this takes on the box right now: kills are drawn
  // within it.
  const path = await fileOf('calibrate');
  const importer = openImporter(url, `faults-streamed-${process.pid}-calibrate`);
  const started = performance.now();
  try {
    const outcome = await importFile(importer.rpc, streamedInput(path, randomUUID()));
    expect(outcome.kind).toBe('batch');
  } finally {
    await importer.close();
  }
  calibrationMs = performance.now() - started;
});

afterAll(async () => {
  printFigures('faults while staging as the file is read', {
    seed: SEED,
    'calibration (ms)': Math.round(calibrationMs),
    runs: records.length,
    'killed during': records.map((r) => r.target).join(', '),
    'first attempt': records.map((r) => r.first).join(', '),
  });
  await disposeParseWorkers();
  await admin?.end();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function fileOf(tag: string): Promise<string> {
  const path = join(dir, `${tag}.csv`);
  await writePurchasesCsv(path, {
    purchases: PURCHASES,
    userIds: merchant.userIds,
    skuIds: merchant.skuIds,
    seed: PURCHASES,
    transactionPrefix: `${tag}-`,
  });
  return path;
}

function streamedInput(path: string, idempotencyKey: string) {
  return {
    path,
    merchantId: merchant.merchantId,
    stream: true,
    chunkRows: CHUNK_ROWS,
    idempotencyKey,
  };
}

/** Purchases of the file (by its prefix) and batches of its key. */
async function landed(
  prefix: string,
  key: string,
): Promise<{ purchases: number; batches: number; completed: number }> {
  const result = await admin.query<{ purchases: number; batches: number; completed: number }>(
    `select
       (select count(*)::int from public.purchases
          where merchant_id = $1 and transaction_number like $2 || '%') as purchases,
       (select count(*)::int from public.bulk_import_batches
          where merchant_id = $1 and idempotency_key = $3) as batches,
       (select count(*)::int from public.bulk_import_batches
          where merchant_id = $1 and idempotency_key = $3 and status = 'completed') as completed`,
    [merchant.merchantId, prefix, key],
  );
  return result.rows[0] ?? { purchases: -1, batches: -1, completed: -1 };
}

describe('the importing connections are terminated while a file is staged as it is read', () => {
  it(`keeps all-or-none (${RUNS} runs), and a retry with the same key lands it exactly once`, async () => {
    for (let run = 0; run < RUNS; run++) {
      const tag = `FS${SEED % 10_000}r${run}x${randomUUID().slice(0, 4)}`;
      const path = await fileOf(tag);
      const key = randomUUID();
      const appName = `faults-streamed-${process.pid}-${run}`;
      const importer = openImporter(url, appName);
      let first: ImportOutcome | Error;
      let target: KillTarget | 'not fired' = 'not fired';
      try {
        const attempt = importFile(importer.rpc, streamedInput(path, key)).catch(
          (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
        );
        // In turn: while a chunk stages (most of them while the file is still read), while the
        // commit runs, and at a random moment of the import.
        const aim = AIMS[run % AIMS.length];
        let done = false;
        void attempt.finally(() => (done = true));
        const killed = (
          aim
            ? waitUntilRunning(admin, appName, aim, calibrationMs * 3, () => done)
            : sleep(random() * calibrationMs)
        ).then(() => terminateImporter(admin, appName));
        first = await attempt;
        const report = await killed;
        if (report.killed > 0) target = report.target;
      } finally {
        await importer.close();
      }
      const context = `seed ${SEED}, run ${run}, killed during ${target}`;
      const after = await landed(tag, key);
      expect([0, PURCHASES], `${context}: all or none`).toContain(after.purchases);
      if (
        !(first instanceof Error) &&
        first.kind === 'batch' &&
        first.batch.status === 'completed'
      ) {
        expect(after.purchases, `${context}: a completed answer`).toBe(PURCHASES);
      }

      // The retry: same file, same key, a fresh connection.
      let retried = false;
      if (after.completed === 0) {
        retried = true;
        const again = openImporter(url, `${appName}-retry`);
        try {
          const outcome = await importFile(again.rpc, streamedInput(path, key));
          expect(outcome.kind, `${context}: the retry`).toBe('batch');
        } finally {
          await again.close();
        }
      }
      const final = await landed(tag, key);
      expect(final, `${context}: exactly once`).toEqual({
        purchases: PURCHASES,
        batches: 1,
        completed: 1,
      });
      records.push({
        target,
        first: first instanceof Error ? 'threw' : first.kind,
        retried,
      });
    }
  });
});
