import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type pg from 'pg';

// The floor of issue #14: psql COPY of the very purchases and items a batch imported, into tables
// with the same columns, indexes, checks and foreign keys (bench_copy), on the same server in the
// same run. The batch's rows are first written to CSV files (not timed); the two COPY commands
// are timed from psql's spawn to its exit, as a user would run them.

export interface CopyBaseline {
  /** Both COPY commands, spawn to exit. */
  ms: number;
  purchases: number;
  items: number;
}

/**
 * Empty copies of purchases and purchase_items with the same columns, indexes, checks and foreign
 * keys (LIKE … INCLUDING ALL copies no foreign key: they are added by hand), for COPY to fill.
 */
export async function createCopyTables(pool: pg.Pool): Promise<void> {
  await pool.query(`
    create schema if not exists bench_copy;
    drop table if exists bench_copy.purchase_items;
    drop table if exists bench_copy.purchases;
    create table bench_copy.purchases (like public.purchases including all);
    alter table bench_copy.purchases
      add foreign key (merchant_id) references public.merchants (id),
      add foreign key (user_id) references public.user_accounts (id);
    create table bench_copy.purchase_items (like public.purchase_items including all);
    alter table bench_copy.purchase_items
      add foreign key (purchase_id) references bench_copy.purchases (id),
      add foreign key (sku_id) references public.skus (id);
  `);
}

export async function copyBatchBaseline(
  url: string,
  pool: pg.Pool,
  dir: string,
  batchId: string,
): Promise<CopyBaseline> {
  const psql = spawnSync('psql', ['--version'], { encoding: 'utf8' });
  if (psql.status !== 0) {
    throw new Error('The COPY baseline needs psql: apt-get install -y postgresql-client');
  }
  await createCopyTables(pool);
  const purchasesCsv = join(dir, `copy-purchases-${batchId}.csv`);
  const itemsCsv = join(dir, `copy-items-${batchId}.csv`);
  const purchaseColumns =
    'id, merchant_id, user_id, transaction_number, purchased_at, currency, total_amount, store_code, notes';
  const itemColumns = 'id, purchase_id, line_number, sku_id, quantity, unit_price';
  runPsql(url, [
    `\\copy (select ${purchaseColumns} from public.purchases where import_batch_id = '${batchId}' order by id) to '${purchasesCsv}' with (format csv)`,
    `\\copy (select ${itemColumns} from public.purchase_items where import_batch_id = '${batchId}' order by id) to '${itemsCsv}' with (format csv)`,
  ]);
  const started = performance.now();
  runPsql(url, [
    `\\copy bench_copy.purchases (${purchaseColumns}) from '${purchasesCsv}' with (format csv)`,
    `\\copy bench_copy.purchase_items (${itemColumns}) from '${itemsCsv}' with (format csv)`,
  ]);
  const ms = performance.now() - started;
  const counts = await pool.query<{ purchases: number; items: number }>(
    `select (select count(*)::int from bench_copy.purchases) as purchases,
            (select count(*)::int from bench_copy.purchase_items) as items`,
  );
  await pool.query('drop schema bench_copy cascade');
  const row = counts.rows[0];
  if (!row) throw new Error('copyBatchBaseline: no counts');
  return { ms, purchases: row.purchases, items: row.items };
}

function runPsql(url: string, commands: readonly string[]): void {
  const result = spawnSync(
    'psql',
    [url, '-v', 'ON_ERROR_STOP=1', '-q', ...commands.flatMap((c) => ['-c', c])],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`psql COPY failed: ${result.stderr}`);
}
