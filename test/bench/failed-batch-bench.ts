import { migrate } from '../../electron/core/db/migrate';
import { stageWrongMerchantBatch } from '../support/failed-batch';
import { startTestPostgres } from '../support/postgres-server';
import { seedMerchant } from '../support/seed';
import { openSupabaseTestEnv } from '../support/supabase-env';

// A 1M-row batch exported for the wrong merchant (20 SKU ids unknown), refused by the commit,
// then read as support staff would through supabase-js and the PostgREST double: the batch
// (summary + a page), a page of one cause deep in the batch, and a re-check. Each call is timed
// as the gateway saw it.

export interface FailedBatchBenchResult {
  rows: number;
  commitMs: number;
  getMs: number;
  getBytes: number;
  deepPageMs: number;
  recheckMs: number;
  recheckBytes: number;
}

export async function runFailedBatchBench(rows = 1_000_000): Promise<FailedBatchBenchResult> {
  const server = await startTestPostgres();
  try {
    await migrate(server.url, { withReferenceSchema: true });
    const env = await openSupabaseTestEnv(server.url);
    try {
      const merchant = await seedMerchant(env.db.pool, { users: 1_000, skus: 20 });
      const batch = await stageWrongMerchantBatch(env.db.pool, env.db.rpc, merchant, { rows });
      const user = await env.createOperator({ [merchant.merchantId]: 'support' }, 'support');
      const auth = await env.signIn(user.email, user.password);
      const timed = async (fn: string, call: () => Promise<unknown>) => {
        await call();
        const record = env.gateway.calls.filter((c) => c.fn === fn).at(-1);
        if (record?.status !== 200) throw new Error(`${fn} answered ${record?.status}`);
        return record;
      };
      const get = await timed('import_get_batch', () =>
        auth.rpc.call('import_get_batch', { p_batch_id: batch.batchId }),
      );
      const page = await timed('import_list_batch_errors', () =>
        auth.rpc.call('import_list_batch_errors', {
          p_batch_id: batch.batchId,
          p_code: 'unknown_sku',
          p_value: batch.unknownSkuIds[7] ?? null,
          p_after_row: Math.floor(rows * 0.9),
          p_after_column: null,
          p_limit: 100,
        }),
      );
      const recheck = await timed('import_recheck_batch', () =>
        auth.rpc.call('import_recheck_batch', { p_batch_id: batch.batchId }),
      );
      return {
        rows,
        commitMs: batch.commitMs,
        getMs: get.ms,
        getBytes: get.responseBytes,
        deepPageMs: page.ms,
        recheckMs: recheck.ms,
        recheckBytes: recheck.responseBytes,
      };
    } finally {
      await env.close();
    }
  } finally {
    await server.stop();
  }
}
