import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RpcError } from '../../shared/db/rpc-transport';
import {
  beginAndStage,
  buildRows,
  countImported,
  seedMerchant,
  type SeededMerchant,
} from '../support/seed';
import { openSupabaseTestEnv, type SupabaseTestEnv } from '../support/supabase-env';

// The commit is one statement over the whole batch; through the API it runs under its own
// statement_timeout (declared on public.import_commit_batch), which PostgREST 12.2+ hoists into
// the request's transaction. Every other call keeps the role's limit. The role's limit is made
// tiny here (100 ms instead of Supabase's 8 s) so that an 80k-row batch is far beyond it on any
// machine: the commit must still land, and a heavy call without its own limit must be cut.

const ROWS = 80_000;

let env: SupabaseTestEnv;
let merchant: SeededMerchant;
let batchId: string;

beforeAll(async () => {
  env = await openSupabaseTestEnv(inject('databaseUrl'), {
    statementTimeouts: { authenticated: '100ms' },
  });
  merchant = await seedMerchant(env.db.pool, { users: 500, skus: 100 });
  // Staged directly (as the owner): 5,000-row chunks would not fit 100 ms either.
  const rows = buildRows(merchant, { purchases: ROWS / 4, itemsPerPurchase: 4 });
  ({ batchId } = await beginAndStage(env.db.rpc, merchant, rows));
});
afterAll(async () => {
  await env?.close();
});

describe('statement timeouts through the API', () => {
  it('the commit runs under its own hoisted limit, not the role’s', async () => {
    const user = await env.createOperator({ [merchant.merchantId]: 'operator' }, 'committer');
    const auth = await env.signIn(user.email, user.password);
    const batch = await auth.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(batch.status).toBe('completed');
    const call = env.gateway.calls.findLast((c) => c.fn === 'import_commit_batch');
    expect(call?.status).toBe(200);
    // Proof that the role's 100 ms did not apply: the statement ran longer than that.
    expect(call?.dbMs).toBeGreaterThan(100);
    expect(await countImported(env.db.pool, batchId)).toEqual({
      purchases: ROWS / 4,
      items: ROWS,
    });
  });

  it('a heavy call without a limit of its own is cut at the role’s; the re-check has its own', async () => {
    const user = await env.createOperator({ [merchant.merchantId]: 'admin' }, 'support');
    const auth = await env.signIn(user.email, user.password);
    // 1 ms: no reference check of 20,000 ids is that fast, however idle the machine.
    env.gateway.setStatementTimeout('authenticated', '1ms');
    try {
      const ids = Array.from({ length: 20_000 }, () => randomUUID());
      const error = await auth.rpc
        .call('import_check_references', {
          p_merchant_id: merchant.merchantId,
          p_user_ids: ids,
          p_sku_ids: [],
          p_transaction_numbers: [],
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).code).toBe('57014');
      expect((error as RpcError).kind).toBe('timeout');
      // The re-check validates the whole batch, like the commit: it runs under its own limit.
      const recheck = await auth.rpc.call('import_recheck_batch', { p_batch_id: batchId });
      expect(recheck.ok).toBe(true);
    } finally {
      env.gateway.setStatementTimeout('authenticated', '100ms');
    }
  });
});
