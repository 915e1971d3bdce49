import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createImportRpc } from '../../shared/db/import-rpc';
import { createPgTransport } from '../../electron/core/db/pg-transport';
import { migrate } from '../../electron/core/db/migrate';
import { startTestPostgres } from '../support/postgres-server';
import { seedMerchant } from '../support/seed';
import { alternateMedians } from './alternate-medians';

// Reference check part of `npm run bench` (moved here from test/db/reference-check.test.ts's
// "under a second"): import_check_references with 30k user ids, 30k SKU ids and 30k transaction
// numbers, against the same three lookups written as plain SQL on the same server in the same run.

export interface ReferenceBenchResult {
  ids: number;
  rpcMs: number;
  plainSqlMs: number;
  ratio: number;
}

const REPEATS = 5;

export async function runReferenceBench(ids = 30_000): Promise<ReferenceBenchResult> {
  const server = await startTestPostgres();
  const pool = new pg.Pool({ connectionString: server.url, max: 2 });
  pool.on('error', () => undefined);
  const rpc = createImportRpc(createPgTransport({ connectionString: server.url }, 'bench'));
  try {
    await migrate(server.url, { withReferenceSchema: true });
    const merchant = await seedMerchant(pool, { users: (ids * 2) / 3, skus: ids / 6 });
    await pool.query(
      `insert into public.purchases
         (merchant_id, user_id, transaction_number, purchased_at, total_amount)
       select $1, $2, 'BENCH-' || g, now(), 1 from generate_series(0, $3::int - 1) g`,
      [merchant.merchantId, merchant.userIds[0], ids / 3],
    );
    await pool.query('analyze');
    const fill = (known: string[]): string[] => [
      ...known,
      ...Array.from({ length: ids - known.length }, () => randomUUID()),
    ];
    const args = {
      p_merchant_id: merchant.merchantId,
      p_user_ids: fill(merchant.userIds),
      p_sku_ids: fill(merchant.skuIds),
      p_transaction_numbers: Array.from({ length: ids }, (_, i) => `BENCH-${i}`),
    };

    const plainSql = async (): Promise<number> => {
      const users = await pool.query(
        `select u.id from unnest($2::uuid[]) as u(id)
         where not exists (select 1 from public.user_accounts a
                           where a.id = u.id and a.merchant_id = $1)`,
        [args.p_merchant_id, args.p_user_ids],
      );
      const skus = await pool.query(
        `select s.id from unnest($2::uuid[]) as s(id)
         where not exists (select 1 from public.skus k where k.id = s.id and k.merchant_id = $1)`,
        [args.p_merchant_id, args.p_sku_ids],
      );
      const existing = await pool.query(
        `select transaction_number, import_batch_id from public.purchases
         where merchant_id = $1 and transaction_number = any($2::text[])`,
        [args.p_merchant_id, args.p_transaction_numbers],
      );
      return (users.rowCount ?? 0) + (skus.rowCount ?? 0) + (existing.rowCount ?? 0);
    };
    const viaRpc = async (): Promise<number> => {
      const result = await rpc.call('import_check_references', args);
      return result.unknownUserIds.length;
    };
    const { firstMs: rpcMs, secondMs: plainSqlMs } = await alternateMedians(
      viaRpc,
      plainSql,
      REPEATS,
    );
    return { ids, rpcMs, plainSqlMs, ratio: rpcMs / plainSqlMs };
  } finally {
    await rpc.transport.close();
    await pool.end();
    await server.stop();
  }
}
