import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { commitImport } from '../../shared/db/commit-import';
import type { ImportRpc } from '../../shared/db/import-rpc';
import type { Purchase } from '../../shared/domain/types';
import { runSupabaseBench } from '../bench/supabase-bench';
import { buildPurchases, countImported, seedMerchant, type SeededMerchant } from '../support/seed';
import { openSupabaseTestEnv, type SupabaseTestEnv } from '../support/supabase-env';

// Large batches within Supabase's limits, and what a dropped connection does to them: the
// double enforces the 8 s statement timeout for `authenticated` and drops connections on cue.

describe('100k rows through supabase-js', () => {
  it('lands through the API with every call inside the statement timeout and the body limit', async () => {
    const result = await runSupabaseBench(100_000, inject('databaseUrl'));
    console.log(
      `[supabase] ${result.rows} rows / ${result.purchases} purchases as a signed-in operator: ` +
        `total ${(result.totalMs / 1000).toFixed(2)} s; ${result.stageCalls} stage calls, mean ` +
        `${result.stageMeanMs.toFixed(0)} ms; commit ${result.commitMs.toFixed(0)} ms; slowest ` +
        `${result.slowestCall} ${result.slowestCallMs.toFixed(0)} ms; largest body ` +
        `${(result.largestRequestBytes / 1024 / 1024).toFixed(2)} MB`,
    );
    expect(result.rows).toBe(100_000);
    // No stopwatch here: the double enforces the 8 s statement timeout itself, so a call that
    // outlasted it would have been cancelled and the import refused. The margin under 8 s is
    // `npm run bench` (supabase-100k).
    expect(result.largestRequestBytes).toBeLessThan(4 * 1024 * 1024);
  });
});

describe('dropped connections', () => {
  let env: SupabaseTestEnv;
  let merchant: SeededMerchant;
  let rpc: ImportRpc;

  beforeAll(async () => {
    env = await openSupabaseTestEnv(inject('databaseUrl'));
    merchant = await seedMerchant(env.db.pool, { users: 20, skus: 20 });
    const user = await env.createOperator({ [merchant.merchantId]: 'operator' }, 'faults');
    rpc = (await env.signIn(user.email, user.password)).rpc;
  });
  afterAll(async () => {
    await env?.close();
  });

  function purchases(count: number): Purchase[] {
    return buildPurchases(merchant, count);
  }

  const input = (list: Purchase[], key = randomUUID()) => ({
    merchantId: merchant.merchantId,
    name: 'faults',
    fileName: 'faults.csv',
    fileSha256: null,
    purchases: list,
    idempotencyKey: key,
    chunkRows: 30,
  });
  const fast = { retry: { attempts: 5, baseDelayMs: 5 } };

  it('resumes after drops mid-chunk (before and after the database kept it)', async () => {
    env.gateway.injectFault({ fn: 'import_stage_chunk', nth: 2, when: 'drop-after-commit' });
    env.gateway.injectFault({ fn: 'import_stage_chunk', nth: 4, when: 'drop-before-db' });
    const list = purchases(60); // 180 rows in 6 chunks of 30
    const result = await commitImport(rpc, input(list), fast);
    expect(result.status).toBe('completed');
    expect(await countImported(env.db.pool, result.id)).toEqual({ purchases: 60, items: 180 });
    const stageCalls = env.gateway.calls.filter(
      (c) => c.fn === 'import_stage_chunk' && c.fault !== null,
    );
    expect(stageCalls.map((c) => c.fault)).toEqual(['drop-after-commit', 'drop-before-db']);
  });

  it('reconciles a commit whose answer was lost after it committed: never twice', async () => {
    env.gateway.injectFault({ fn: 'import_commit_batch', nth: 1, when: 'drop-after-commit' });
    const result = await commitImport(rpc, input(purchases(20)), fast);
    expect(result.status).toBe('completed');
    expect(await countImported(env.db.pool, result.id)).toEqual({ purchases: 20, items: 60 });
    const after = env.gateway.calls.slice(-3).map((c) => c.fn);
    expect(after).toContain('import_get_batch');
  });

  it('reconciles a gateway timeout (504) on the commit', async () => {
    env.gateway.injectFault({
      fn: 'import_commit_batch',
      nth: 1,
      when: 'gateway-timeout-after-commit',
    });
    const result = await commitImport(rpc, input(purchases(10)), fast);
    expect(result.status).toBe('completed');
    expect(await countImported(env.db.pool, result.id)).toEqual({ purchases: 10, items: 30 });
  });

  it('commits again when the commit was lost before the database saw it', async () => {
    env.gateway.injectFault({ fn: 'import_commit_batch', nth: 1, when: 'drop-before-db' });
    const result = await commitImport(rpc, input(purchases(10)), fast);
    expect(result.status).toBe('completed');
    expect(await countImported(env.db.pool, result.id)).toEqual({ purchases: 10, items: 30 });
  });

  it('leaves nothing imported when the connection stays down, and resumes later', async () => {
    const list = purchases(12);
    const key = randomUUID();
    for (let nth = 1; nth <= 3; nth++) {
      env.gateway.injectFault({ fn: 'import_commit_batch', nth, when: 'drop-before-db' });
    }
    const error = await commitImport(rpc, input(list, key), {
      retry: { attempts: 3, baseDelayMs: 1 },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ kind: 'unreachable' });
    env.gateway.clearFaults();
    const pending = await env.db.pool.query<{ id: string; status: string }>(
      'select id, status from public.bulk_import_batches where merchant_id = $1 and idempotency_key = $2',
      [merchant.merchantId, key],
    );
    expect(pending.rows[0]?.status).toBe('pending');
    expect(await countImported(env.db.pool, pending.rows[0]?.id ?? '')).toEqual({
      purchases: 0,
      items: 0,
    });

    const resumed = await commitImport(rpc, input(list, key), fast);
    expect(resumed.id).toBe(pending.rows[0]?.id);
    expect(resumed.status).toBe('completed');
    expect(await countImported(env.db.pool, resumed.id)).toEqual({ purchases: 12, items: 36 });
  });

  it('a proxy that resets huge bodies is met by chunking, not by one big call', async () => {
    const small = await openSupabaseTestEnv(inject('databaseUrl'), {
      // 600 rows as columns are ~56 KB (as row objects they were ~180 KB); 60 rows ~6 KB.
      resetBodiesOverBytes: 16 * 1024,
    });
    try {
      const user = await small.createOperator({ [merchant.merchantId]: 'operator' }, 'proxy');
      const proxied = (await small.signIn(user.email, user.password)).rpc;
      const list = purchases(200); // 600 rows
      await expect(
        commitImport(
          proxied,
          { ...input(list), chunkRows: 600 },
          { retry: { attempts: 2, baseDelayMs: 1 } },
        ),
      ).rejects.toMatchObject({ kind: 'unreachable' });
      const chunked = await commitImport(proxied, { ...input(list), chunkRows: 60 }, fast);
      expect(chunked.status).toBe('completed');
      expect(await countImported(env.db.pool, chunked.id)).toEqual({ purchases: 200, items: 600 });
    } finally {
      await small.close();
    }
  });
});
