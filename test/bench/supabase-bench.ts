import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { commitImport } from '../../shared/db/commit-import';
import { migrate } from '../../electron/core/db/migrate';
import { parseCsvFile } from '../../electron/core/parse/parse-file';
import { writePurchasesCsv } from '../fixtures/generate-purchases';
import { startTestPostgres } from '../support/postgres-server';
import { seedMerchant } from '../support/seed';
import { openSupabaseTestEnv } from '../support/supabase-env';

// A commit through supabase-js and the gateway double, as a signed-in operator: begin, stage
// 5,000-row chunks, commit. Every call runs under the 8 s statement timeout Supabase gives
// `authenticated`, except the commit, whose own limit (sql/schema/05_batch_lifecycle.sql) the
// double hoists into its transaction as PostgREST 12.2+ does. Used by `npm run bench` at 100k and
// 1M rows (own server) and by the db test (the suite's server).

/** The role's limit and the commit function's own (read from the database in the run). */
export const ROLE_LIMIT_MS = 8_000;

export interface SupabaseBenchResult {
  rows: number;
  purchases: number;
  /** begin → last chunk → commit answered, through HTTP. */
  totalMs: number;
  stageCalls: number;
  stageMeanMs: number;
  commitMs: number;
  slowestCall: string;
  slowestCallMs: number;
  /** Bytes of the largest request body (a staged chunk). */
  largestRequestBytes: number;
  statementTimeout: string;
  /** The slowest call other than the commit, against the role's 8 s. */
  slowestOtherCall: string;
  slowestOtherCallMs: number;
  /** The commit function's statement_timeout as the database declares it. */
  commitLimitMs: number;
}

/** Runs on `databaseUrl` when given (already migrated), else on a fresh server of its own. */
export async function runSupabaseBench(
  rows = 100_000,
  databaseUrl?: string,
): Promise<SupabaseBenchResult> {
  const server = databaseUrl ? null : await startTestPostgres();
  const url = databaseUrl ?? server?.url ?? '';
  const dir = await mkdtemp(join(tmpdir(), 'purchase-import-supabase-bench-'));
  try {
    if (server) await migrate(url, { withReferenceSchema: true });
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const merchant = await seedMerchant(pool, { users: 5_000, skus: 500 });
    await pool.end();
    const file = join(dir, 'bench.csv');
    await writePurchasesCsv(file, {
      rows,
      userIds: merchant.userIds,
      skuIds: merchant.skuIds,
      seed: 7,
    });
    const { report } = await parseCsvFile(file, {});
    if (report.errors.length > 0) throw new Error('supabase bench: the generated file has errors');

    const env = await openSupabaseTestEnv(url);
    try {
      const user = await env.createOperator({ [merchant.merchantId]: 'operator' }, 'bench');
      const auth = await env.signIn(user.email, user.password);
      const firstCall = env.gateway.calls.length;
      const started = performance.now();
      const batch = await commitImport(auth.rpc, {
        merchantId: merchant.merchantId,
        name: 'supabase bench',
        fileName: 'bench.csv',
        fileSha256: report.fileSha256,
        purchases: report.purchases,
        idempotencyKey: randomUUID(),
      });
      const totalMs = performance.now() - started;
      if (batch.status !== 'completed') {
        throw new Error(`supabase bench: the batch ended ${batch.status}: ${batch.errorMessage}`);
      }
      const calls = env.gateway.calls.slice(firstCall);
      const failed = calls.filter((call) => call.status !== 200);
      if (failed.length > 0) {
        throw new Error(`supabase bench: calls failed: ${JSON.stringify(failed.slice(0, 3))}`);
      }
      const stages = calls.filter((call) => call.fn === 'import_stage_chunk');
      const commit = calls.find((call) => call.fn === 'import_commit_batch');
      const slowest = calls.reduce((a, b) => (b.ms > a.ms ? b : a));
      const others = calls.filter((call) => call.fn !== 'import_commit_batch');
      const slowestOther = others.reduce((a, b) => (b.ms > a.ms ? b : a));
      const limit = await env.db.pool.query<{ ms: number }>(
        `select extract(epoch from (
           select split_part(c, '=', 2)::interval
           from unnest((select proconfig from pg_proc
                        where oid = 'public.import_commit_batch(uuid)'::regprocedure)) as c
           where c like 'statement_timeout=%')) * 1000 as ms`,
      );
      return {
        rows: report.summary.rows,
        purchases: report.summary.purchases,
        totalMs,
        stageCalls: stages.length,
        stageMeanMs: stages.reduce((sum, call) => sum + call.ms, 0) / Math.max(stages.length, 1),
        commitMs: commit?.ms ?? Number.NaN,
        slowestCall: slowest.fn,
        slowestCallMs: slowest.ms,
        largestRequestBytes: Math.max(...calls.map((call) => call.requestBytes)),
        statementTimeout: '8s (authenticated)',
        slowestOtherCall: slowestOther.fn,
        slowestOtherCallMs: slowestOther.ms,
        commitLimitMs: Number(limit.rows[0]?.ms ?? Number.NaN),
      };
    } finally {
      await env.close();
    }
  } finally {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
