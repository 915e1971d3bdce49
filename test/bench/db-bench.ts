import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { commitImport, type CommitPhase } from '../../shared/db/commit-import';
import { createImportRpc } from '../../shared/db/import-rpc';
import type { RpcArgs, RpcFunctionName } from '../../shared/db/rpc-contract';
import type { RpcTransport } from '../../shared/db/rpc-transport';
import type { Purchase } from '../../shared/domain/types';
import { createPgTransport } from '../../electron/core/db/pg-transport';
import { migrate } from '../../electron/core/db/migrate';
import { importFile } from '../../electron/core/use-cases';
import { parseCsvFile } from '../../electron/core/parse/parse-file';
import { writePurchasesCsv } from '../fixtures/generate-purchases';
import { startTestPostgres } from '../support/postgres-server';
import { seedMerchant } from '../support/seed';
import { createCopyTables } from './copy-baseline';

// Database half of `npm run bench`: the same 100k-row file (30k purchases) loaded by psql COPY
// into equally constrained tables (the baseline) and through our commit path, in the same run on
// the same server; then the whole import end to end, in rounds that alternate with COPY (one pair
// on a shared 2-core machine swung the ratio by ±0.2 from run to run).

/** End-to-end imports, each after a COPY of the same rows: the ratio is the rounds' median. */
const END_TO_END_ROUNDS = 3;

export interface EndToEndRound {
  endToEndMs: number;
  copyMs: number;
  /** File opened → reference check answered (parse, validate, group, check; when staging while
   *  reading, the chunks staged meanwhile). */
  parseAndCheckMs: number;
  /** Check answered → staging done (the verdict, begin, every chunk; or what was left of it). */
  stagingMs: number;
  commitMs: number;
}

export interface DbBenchResult {
  rows: number;
  purchases: number;
  copyMs: number;
  commitMs: number;
  commitRatio: number;
  slowestCallMs: number;
  slowestCall: string;
  /** Median of the rounds. */
  endToEndMs: number;
  /** Median of the rounds' COPY runs. */
  endToEndCopyMs: number;
  /** Median of each round's end to end / its COPY. */
  endToEndRatio: number;
  rounds: EndToEndRound[];
  /** The same file imported the usual way (read whole, then staged), same rounds. */
  usualRatio: number;
  usualRounds: EndToEndRound[];
}

export async function runDbBench(rows = 100_000): Promise<DbBenchResult> {
  const psql = spawnSync('psql', ['--version'], { encoding: 'utf8' });
  if (psql.status !== 0) {
    throw new Error('The COPY baseline needs psql: apt-get install -y postgresql-client');
  }
  const server = await startTestPostgres();
  const dir = await mkdtemp(join(tmpdir(), 'purchase-import-bench-'));
  const pool = new pg.Pool({ connectionString: server.url, max: 4 });
  // An idle client's error (the server going away) surfaces in the next query; unheard, it
  // ended the process (two runs died on 57P01 while another job stopped servers).
  pool.on('error', () => undefined);
  try {
    await migrate(server.url, { withReferenceSchema: true });
    const merchant = await seedMerchant(pool, { users: 5_000, skus: 500 });
    const file = join(dir, 'bench-100k.csv');
    await writePurchasesCsv(file, {
      rows, // about 29k purchases of 1 to 6 items
      userIds: merchant.userIds,
      skuIds: merchant.skuIds,
      seed: 42,
    });
    const { report } = await parseCsvFile(file, {});
    if (report.errors.length > 0) {
      throw new Error(`bench file has errors: ${JSON.stringify(report.errors.slice(0, 3))}`);
    }

    const copyMs = await copyBaseline(server.url, pool, dir, merchant.merchantId, report.purchases);

    const timed = timingTransport(createPgTransport({ connectionString: server.url }, 'bench'));
    const rpc = createImportRpc(timed.transport);
    // The commit path proper: begin, stage every chunk, commit (parsing is measured separately).
    const commitStarted = performance.now();
    const batch = await commitImport(rpc, {
      merchantId: merchant.merchantId,
      name: 'bench',
      fileName: 'bench-100k.csv',
      fileSha256: report.fileSha256,
      purchases: report.purchases,
      idempotencyKey: randomUUID(),
    });
    const commitMs = performance.now() - commitStarted;
    if (batch.status !== 'completed') throw new Error(`bench commit failed: ${batch.errorMessage}`);

    // End to end from the file on disk: parse, reference check, stage, commit. Each round first
    // times COPY of the same rows again, then imports the file again (its purchases removed and
    // vacuumed away first, so no round meets the last one's dead rows); a checkpoint before each
    // timed part, so neither pays for writing out what the part before it left dirty. Each round
    // imports the file twice, staging while it is read (what importFile does with a file this
    // size) and, for the same run's before, the usual way (the whole file read first), in
    // alternating order.
    const rounds: EndToEndRound[] = [];
    const usualRounds: EndToEndRound[] = [];
    const endToEnd = async (stream: boolean): Promise<EndToEndRound> => {
      await resetPurchases(pool, merchant.merchantId);
      await pool.query('checkpoint');
      const roundCopyMs = await copyBaseline(
        server.url,
        pool,
        dir,
        merchant.merchantId,
        report.purchases,
      );
      await pool.query('checkpoint');
      const phaseAt: Partial<Record<CommitPhase, number>> = {};
      const e2eStarted = performance.now();
      const outcome = await importFile(
        rpc,
        { path: file, merchantId: merchant.merchantId, stream },
        { onCommitProgress: ({ phase }) => (phaseAt[phase] ??= performance.now()) },
      );
      const endToEndMs = performance.now() - e2eStarted;
      if (outcome.kind !== 'batch' || outcome.batch.status !== 'completed') {
        throw new Error('bench end-to-end import did not complete');
      }
      // Staging while reading reports no 'beginning': its first progress is 'staging', once the
      // file is read and checked (chunks went out all along).
      const checked = (phaseAt.beginning ?? phaseAt.staging ?? e2eStarted) - e2eStarted;
      const committing = phaseAt.committing ?? e2eStarted;
      return {
        endToEndMs,
        copyMs: roundCopyMs,
        parseAndCheckMs: checked,
        stagingMs: committing - e2eStarted - checked,
        commitMs: e2eStarted + endToEndMs - committing,
      };
    };
    for (let round = 0; round < END_TO_END_ROUNDS; round++) {
      if (round % 2 === 1) usualRounds.push(await endToEnd(false));
      rounds.push(await endToEnd(true));
      if (round % 2 === 0) usualRounds.push(await endToEnd(false));
    }
    await timed.transport.close();

    const slowest = timed.slowest();
    return {
      rows: report.summary.rows,
      purchases: report.summary.purchases,
      copyMs,
      commitMs,
      commitRatio: commitMs / copyMs,
      slowestCallMs: slowest.ms,
      slowestCall: slowest.fn,
      endToEndMs: median(rounds.map((r) => r.endToEndMs)),
      endToEndCopyMs: median(rounds.map((r) => r.copyMs)),
      endToEndRatio: median(rounds.map((r) => r.endToEndMs / r.copyMs)),
      rounds,
      usualRatio: median(usualRounds.map((r) => r.endToEndMs / r.copyMs)),
      usualRounds,
    };
  } finally {
    await pool.end();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** psql \copy of the same purchases and items into tables with the same constraints and FKs. */
async function copyBaseline(
  url: string,
  pool: pg.Pool,
  dir: string,
  merchantId: string,
  purchases: readonly Purchase[],
): Promise<number> {
  await createCopyTables(pool);
  const purchaseLines: string[] = [];
  const itemLines: string[] = [];
  for (const purchase of purchases) {
    const id = randomUUID();
    purchaseLines.push(
      [
        id,
        merchantId,
        purchase.userId,
        purchase.transactionNumber,
        purchase.purchasedAt,
        purchase.currency ?? '',
        money(purchase.totalAmountCents),
        purchase.storeCode ?? '',
      ].join(','),
    );
    for (const item of purchase.items) {
      itemLines.push(
        [
          randomUUID(),
          id,
          item.lineNumber,
          item.skuId,
          item.quantity,
          money(item.unitPriceCents),
        ].join(','),
      );
    }
  }
  const purchasesCsv = join(dir, 'copy-purchases.csv');
  const itemsCsv = join(dir, 'copy-items.csv');
  await writeFile(purchasesCsv, `${purchaseLines.join('\n')}\n`);
  await writeFile(itemsCsv, `${itemLines.join('\n')}\n`);
  const started = performance.now();
  const result = spawnSync(
    'psql',
    [
      url,
      '-v',
      'ON_ERROR_STOP=1',
      '-q',
      '-c',
      `\\copy bench_copy.purchases (id, merchant_id, user_id, transaction_number, purchased_at, currency, total_amount, store_code) from '${purchasesCsv}' with (format csv, null '')`,
      '-c',
      `\\copy bench_copy.purchase_items (id, purchase_id, line_number, sku_id, quantity, unit_price) from '${itemsCsv}' with (format csv)`,
    ],
    { encoding: 'utf8' },
  );
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`psql COPY failed: ${result.stderr}`);
  return elapsed;
}

/** Removes the merchant's purchases so the same file can be imported again for timing. */
async function resetPurchases(pool: pg.Pool, merchantId: string): Promise<void> {
  await pool.query('delete from public.purchases where merchant_id = $1', [merchantId]);
  await pool.query('vacuum public.purchase_items, public.purchases');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function timingTransport(inner: RpcTransport): {
  transport: RpcTransport;
  slowest: () => { fn: string; ms: number };
} {
  let worst = { fn: 'none', ms: 0 };
  return {
    slowest: () => worst,
    transport: {
      label: inner.label,
      close: () => inner.close(),
      async call<F extends RpcFunctionName>(fn: F, args: RpcArgs[F]) {
        const started = performance.now();
        try {
          return await inner.call(fn, args);
        } finally {
          const ms = performance.now() - started;
          if (ms > worst.ms) worst = { fn, ms };
        }
      },
    },
  };
}

function money(cents: number): string {
  return `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}
