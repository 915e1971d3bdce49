import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { commitImport } from '../../shared/db/commit-import';
import { createImportRpc, type ImportRpc } from '../../shared/db/import-rpc';
import { RpcError } from '../../shared/db/rpc-transport';
import { createSupabaseTransport } from '../../shared/db/supabase-transport';
import type { Purchase } from '../../shared/domain/types';
import { createMemorySecretStore } from '../../electron/core/auth/secret-store';
import { createSupabaseClient } from '../../electron/core/auth/supabase-client';
import { createSupabaseAuth } from '../../electron/core/auth/supabase-auth';
import {
  beginAndStage,
  buildRows,
  countImported,
  seedMerchant,
  type SeededMerchant,
} from '../support/seed';
import { openSupabaseTestEnv, rejectionOf, type SupabaseTestEnv } from '../support/supabase-env';

// Who may do what, through supabase-js and the gateway double (real JWTs, SET ROLE, claims):
// the permission matrix of migration 0012 as staff will meet it.

let env: SupabaseTestEnv;
let a: SeededMerchant;
let b: SeededMerchant;
let operatorA: ImportRpc;
let supportA: ImportRpc;
let adminA: ImportRpc;
let stranger: ImportRpc; // signed in, operates nothing
let service: ImportRpc;
let batchOfB: string;

beforeAll(async () => {
  // No clock-skew allowance here, so "expired" means expired.
  env = await openSupabaseTestEnv(inject('databaseUrl'), { clockSkewSeconds: 0 });
  a = await seedMerchant(env.db.pool, { users: 5, skus: 5, name: `A ${randomUUID().slice(0, 6)}` });
  b = await seedMerchant(env.db.pool, { users: 5, skus: 5, name: `B ${randomUUID().slice(0, 6)}` });
  const sign = async (roles: Parameters<SupabaseTestEnv['createOperator']>[0], label: string) => {
    const user = await env.createOperator(roles, label);
    return (await env.signIn(user.email, user.password)).rpc;
  };
  operatorA = await sign({ [a.merchantId]: 'operator' }, 'operator');
  supportA = await sign({ [a.merchantId]: 'support' }, 'support');
  adminA = await sign({ [a.merchantId]: 'admin' }, 'admin');
  stranger = await sign({}, 'stranger');
  service = (await env.serviceRole()).rpc;
  batchOfB = (await beginAndStage(service, b, buildRows(b, { purchases: 3 }))).batchId;
});
afterAll(async () => {
  await env?.close();
});

function purchasesOf(m: SeededMerchant, count: number, userId?: string): Purchase[] {
  const tag = randomUUID().slice(0, 8);
  let row = 2;
  return Array.from({ length: count }, (_, i) => {
    const items = [0, 1].map((j) => ({
      row: row++,
      lineNumber: j + 1,
      skuId: m.skuIds[(i + j) % m.skuIds.length] as string,
      quantity: 1,
      unitPriceCents: 500,
    }));
    return {
      transactionNumber: `${tag}-${i}`,
      userId: userId ?? (m.userIds[i % m.userIds.length] as string),
      purchasedAt: new Date(Date.UTC(2026, 1, 1, 10, i)).toISOString(),
      currency: 'EUR',
      totalAmountCents: 1000,
      storeCode: null,
      notes: null,
      rows: items.map((item) => item.row),
      items,
    };
  });
}

const fast = { retry: { attempts: 3, baseDelayMs: 1 } };

function importInto(rpc: ImportRpc, m: SeededMerchant, purchases: Purchase[]) {
  return commitImport(
    rpc,
    {
      merchantId: m.merchantId,
      name: 'auth test',
      fileName: 'auth.csv',
      fileSha256: null,
      purchases,
      idempotencyKey: randomUUID(),
    },
    fast,
  );
}

async function expectPermission(promise: Promise<unknown>, status = 403): Promise<RpcError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(RpcError);
  const rpcError = error as RpcError;
  expect({ kind: rpcError.kind, message: rpcError.message }).toMatchObject({ kind: 'permission' });
  expect(env.gateway.calls.at(-1)?.status).toBe(status);
  return rpcError;
}

/** A failed batch of merchant A: one purchase names a member that does not exist (yet). */
async function failedBatchOfA(): Promise<{ batchId: string; missingUserId: string }> {
  const missingUserId = randomUUID();
  const batch = await importInto(operatorA, a, purchasesOf(a, 3, missingUserId));
  expect(batch.status).toBe('failed');
  return { batchId: batch.id, missingUserId };
}

describe('an operator', () => {
  it('sees only the merchants they operate, with their role', async () => {
    expect((await operatorA.call('import_list_merchants', {})).merchants).toEqual([
      { id: a.merchantId, name: a.name, role: 'operator' },
    ]);
    const who = await operatorA.call('import_whoami', {});
    expect(who).toMatchObject({
      unrestricted: false,
      merchants: [{ id: a.merchantId, role: 'operator' }],
    });
    expect(who.email).toMatch(/^operator-.*@staff\.example\.test$/);
  });

  it('previews and imports for their merchant, recorded under their e-mail', async () => {
    const check = await operatorA.call('import_check_references', {
      p_merchant_id: a.merchantId,
      p_user_ids: a.userIds,
      p_sku_ids: a.skuIds,
      p_transaction_numbers: [],
    });
    expect(check.unknownUserIds).toEqual([]);
    const batch = await importInto(operatorA, a, purchasesOf(a, 4));
    expect(batch.status).toBe('completed');
    expect(batch.createdBy).toMatch(/^operator-/);
    expect(await countImported(env.db.pool, batch.id)).toEqual({ purchases: 4, items: 8 });
  });

  it('can neither list, read, check, begin, stage into nor commit for another merchant', async () => {
    await expectPermission(
      operatorA.call('import_list_batches', {
        p_merchant_id: b.merchantId,
        p_status: null,
        p_search: null,
        p_limit: 10,
        p_offset: 0,
      }),
    );
    // Another merchant's batch id is answered as if it did not exist: probing ids tells nothing.
    const unknownId = randomUUID();
    const missing = await rejectionOf(
      operatorA.call('import_get_batch', { p_batch_id: unknownId }),
    );
    // Thunks, not promises: each call starts only when awaited, so no rejection goes unhandled.
    for (const call of [
      () => operatorA.call('import_get_batch', { p_batch_id: batchOfB }),
      () => operatorA.call('import_commit_batch', { p_batch_id: batchOfB }),
      () => operatorA.call('import_recheck_batch', { p_batch_id: batchOfB }),
      () => operatorA.call('import_cancel_batch', { p_batch_id: batchOfB }),
      () =>
        operatorA.call('import_stage_chunk', {
          p_batch_id: batchOfB,
          p_chunk_no: 0,
          p_rows: buildRows(b, { purchases: 1 }),
        }),
    ]) {
      const error = await rejectionOf(call());
      expect(error).toBeInstanceOf(RpcError);
      expect({ code: (error as RpcError).code, message: (error as RpcError).message }).toEqual({
        code: (missing as RpcError).code,
        message: `Import batch ${batchOfB} does not exist.`,
      });
    }
    expect((missing as RpcError).message).toBe(`Import batch ${unknownId} does not exist.`);
    await expectPermission(
      operatorA.call('import_check_references', {
        p_merchant_id: b.merchantId,
        p_user_ids: [],
        p_sku_ids: [],
        p_transaction_numbers: [],
      }),
    );
    await expectPermission(importInto(operatorA, b, purchasesOf(b, 1)));
    const untouched = await service.call('import_get_batch', { p_batch_id: batchOfB });
    expect(untouched.status).toBe('pending');
    expect(await countImported(env.db.pool, batchOfB)).toEqual({ purchases: 0, items: 0 });
  });

  it('may not re-check or retry a failed batch (support does)', async () => {
    const { batchId } = await failedBatchOfA();
    await expectPermission(operatorA.call('import_recheck_batch', { p_batch_id: batchId }));
    const error = await expectPermission(
      operatorA.call('import_commit_batch', { p_batch_id: batchId }),
    );
    expect(error.message).toContain('does not allow retry');
  });

  it('may not manage operators', async () => {
    await expectPermission(
      operatorA.call('import_list_operators', { p_merchant_id: a.merchantId }),
    );
  });

  it('gets the pick lists of their merchant only', async () => {
    const skus = await operatorA.call('import_list_skus', {
      p_merchant_id: a.merchantId,
      p_search: 'SKU-1',
      p_limit: 10,
    });
    expect(skus.skus.map((s) => s.code)).toEqual(['SKU-1']);
    const users = await operatorA.call('import_list_users', {
      p_merchant_id: a.merchantId,
      p_search: null,
      p_limit: 3,
    });
    expect(users.users).toHaveLength(3);
    expect(a.userIds).toContain(users.users[0]?.id);
    await expectPermission(
      operatorA.call('import_list_skus', {
        p_merchant_id: b.merchantId,
        p_search: null,
        p_limit: 5,
      }),
    );
  });
});

describe('support', () => {
  it('cannot start an import or preview one', async () => {
    const error = await expectPermission(importInto(supportA, a, purchasesOf(a, 1)));
    expect(error.message).toBe(
      `Your role support for merchant ${a.merchantId} does not allow import.`,
    );
    await expectPermission(
      supportA.call('import_check_references', {
        p_merchant_id: a.merchantId,
        p_user_ids: [],
        p_sku_ids: [],
        p_transaction_numbers: [],
      }),
    );
  });

  it('cannot commit a pending batch: the commit rolls back whole', async () => {
    const { batchId } = await beginAndStage(operatorA, a, buildRows(a, { purchases: 5 }));
    const error = await expectPermission(
      supportA.call('import_commit_batch', { p_batch_id: batchId }),
    );
    expect(error.message).toContain('does not allow commit pending');
    expect((await supportA.call('import_get_batch', { p_batch_id: batchId })).status).toBe(
      'pending',
    );
    expect(await countImported(env.db.pool, batchId)).toEqual({ purchases: 0, items: 0 });
  });

  it('reads history, re-checks and retries a failed batch once the data is fixed', async () => {
    const { batchId, missingUserId } = await failedBatchOfA();
    const page = await supportA.call('import_list_batches', {
      p_merchant_id: a.merchantId,
      p_status: 'failed',
      p_search: null,
      p_limit: 50,
      p_offset: 0,
    });
    expect(page.batches.map((x) => x.id)).toContain(batchId);
    expect(
      (await supportA.call('import_recheck_batch', { p_batch_id: batchId })).unknownUserIds,
    ).toEqual([missingUserId]);

    await env.db.pool.query(
      "insert into public.user_accounts (id, merchant_id, email) values ($1, $2, 'late@example.test')",
      [missingUserId, a.merchantId],
    );
    expect((await supportA.call('import_recheck_batch', { p_batch_id: batchId })).ok).toBe(true);
    const retried = await supportA.call('import_commit_batch', { p_batch_id: batchId });
    expect(retried.status).toBe('completed');
    expect(await countImported(env.db.pool, batchId)).toEqual({ purchases: 3, items: 6 });
  });
});

describe('an admin', () => {
  it('grants, changes and removes operators, but never the last admin', async () => {
    const newcomer = await env.createOperator({}, 'newcomer');
    const granted = await adminA.call('import_set_operator', {
      p_merchant_id: a.merchantId,
      p_email: newcomer.email.toUpperCase(),
      p_role: 'support',
    });
    expect(granted).toMatchObject({
      userId: newcomer.id,
      role: 'support',
      merchantId: a.merchantId,
    });
    const listed = await adminA.call('import_list_operators', { p_merchant_id: a.merchantId });
    expect(listed.operators.map((o) => [o.email, o.role])).toContainEqual([
      newcomer.email,
      'support',
    ]);

    const newcomerRpc = (await env.signIn(newcomer.email, newcomer.password)).rpc;
    expect((await newcomerRpc.call('import_whoami', {})).merchants).toEqual([
      { id: a.merchantId, name: a.name, role: 'support' },
    ]);

    expect(
      await adminA.call('import_remove_operator', {
        p_merchant_id: a.merchantId,
        p_user_id: newcomer.id,
      }),
    ).toEqual({ removed: true });
    expect((await newcomerRpc.call('import_list_merchants', {})).merchants).toEqual([]);

    const adminId = (await adminA.call('import_whoami', {})).userId ?? '';
    const lastAdmin = await rejectionOf(
      adminA.call('import_remove_operator', { p_merchant_id: a.merchantId, p_user_id: adminId }),
    );
    expect(lastAdmin).toMatchObject({ kind: 'refused', code: 'P0001' });
    expect(env.gateway.calls.at(-1)?.status).toBe(400);
  });

  it('retries failed batches too (a superset of support)', async () => {
    const { batchId } = await failedBatchOfA();
    const again = await adminA.call('import_commit_batch', { p_batch_id: batchId });
    expect(again.status).toBe('failed');
  });
});

describe('without a role', () => {
  it('a signed-in user who operates nothing sees nothing and may do nothing', async () => {
    expect((await stranger.call('import_list_merchants', {})).merchants).toEqual([]);
    await expectPermission(importInto(stranger, a, purchasesOf(a, 1)));
  });

  it('the anon key alone may call nothing', async () => {
    const anon = createImportRpc(
      createSupabaseTransport(
        createSupabaseClient(env.gateway.url, env.gateway.anonKey, {
          auth: { persistSession: false, autoRefreshToken: false },
        }),
      ),
    );
    const error = await expectPermission(anon.call('import_list_merchants', {}), 401);
    expect(error.message).toBe('permission denied for function import_list_merchants');
  });

  it('refuses expired and forged tokens', async () => {
    const user = await env.createOperator({ [a.merchantId]: 'operator' }, 'expired');
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = env.gateway.signJwt({
      sub: user.id,
      role: 'authenticated',
      iat: past,
      exp: past + 60,
    });
    const call = (token: string) =>
      fetch(`${env.gateway.url}/rest/v1/rpc/import_list_merchants`, {
        method: 'POST',
        headers: {
          apikey: env.gateway.anonKey,
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
        },
        body: '{}',
      });
    const expiredAnswer = await call(expired);
    expect(expiredAnswer.status).toBe(401);
    expect(await expiredAnswer.json()).toEqual({
      code: 'PGRST303',
      details: null,
      hint: null,
      message: 'JWT expired',
    });
    const forged = `${expired.split('.').slice(0, 2).join('.')}.${Buffer.from('x'.repeat(32)).toString('base64url')}`;
    const forgedAnswer = await call(forged);
    expect(forgedAnswer.status).toBe(401);
    expect(await forgedAnswer.json()).toMatchObject({ code: 'PGRST301' });

    // Through supabase-js: a client holding an expired access token gets 'permission'.
    const withExpired = createImportRpc(
      createSupabaseTransport(
        createSupabaseClient(env.gateway.url, env.gateway.anonKey, {
          accessToken: async () => expired,
        }),
      ),
    );
    expect(await expectPermission(withExpired.call('import_whoami', {}), 401)).toMatchObject({
      code: 'PGRST303',
    });
  });
});

describe('the session', () => {
  it('is refreshed transparently when the access token expires', async () => {
    const user = await env.createOperator({ [a.merchantId]: 'operator' }, 'refresh');
    env.gateway.setAccessTokenTtl(2);
    try {
      const auth = createSupabaseAuth(
        { url: env.gateway.url, anonKey: env.gateway.anonKey },
        { store: createMemorySecretStore() },
      );
      try {
        await auth.signIn(user.email, user.password);
        const issued = env.gateway.tokensIssued;
        await new Promise((resolve) => setTimeout(resolve, 2_500)); // the token is now expired
        const who = await auth.currentUser();
        expect(who?.email).toBe(user.email);
        expect(env.gateway.tokensIssued).toBeGreaterThan(issued); // refreshed, not rejected
        const rpcCalls = env.gateway.calls.filter((c) => c.fn === 'import_whoami').slice(-1);
        expect(rpcCalls[0]?.status).toBe(200);
      } finally {
        await auth.dispose();
      }
    } finally {
      env.gateway.setAccessTokenTtl(3600);
    }
  });

  it('survives a restart through its store, and sign-out ends it', async () => {
    const user = await env.createOperator({ [a.merchantId]: 'admin' }, 'restart');
    const store = createMemorySecretStore();
    const project = { url: env.gateway.url, anonKey: env.gateway.anonKey };
    const first = createSupabaseAuth(project, { store });
    await first.signIn(user.email, user.password);
    await first.dispose();
    const stored = await store.read();
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(user.password);

    const second = createSupabaseAuth(project, { store });
    try {
      expect((await second.currentUser())?.merchants).toEqual([
        { id: a.merchantId, name: a.name, role: 'admin' },
      ]);
      await second.signOut();
      expect(await second.currentUser()).toBeNull();
      expect(await store.read()).toBeNull();
      // Signed out means anon: nothing is callable any more.
      await expectPermission(second.rpc.call('import_list_merchants', {}), 401);
    } finally {
      await second.dispose();
    }
  });

  it('reports a wrong password without revealing anything', async () => {
    const user = await env.createOperator({}, 'wrong');
    const auth = createSupabaseAuth(
      { url: env.gateway.url, anonKey: env.gateway.anonKey },
      { store: createMemorySecretStore() },
    );
    try {
      await expect(auth.signIn(user.email, 'not-the-password')).rejects.toMatchObject({
        kind: 'invalid-credentials',
        message: 'Wrong e-mail or password.',
      });
    } finally {
      await auth.dispose();
    }
  });
});

describe('direct connections and row-level security', () => {
  it('the database owner keeps working without a JWT (CLI automation, sandbox)', async () => {
    const merchants = await env.db.rpc.call('import_list_merchants', {});
    expect(merchants.merchants.map((m) => m.id)).toEqual(
      expect.arrayContaining([a.merchantId, b.merchantId]),
    );
    expect((await env.db.rpc.call('import_whoami', {})).unrestricted).toBe(true);
  });

  it('service_role sees every merchant', async () => {
    const merchants = await service.call('import_list_merchants', {});
    expect(merchants.merchants.map((m) => m.id)).toEqual(
      expect.arrayContaining([a.merchantId, b.merchantId]),
    );
  });

  it('a select grant would show an operator only their merchants’ batches', async () => {
    const user = await env.createOperator({ [a.merchantId]: 'operator' }, 'rls');
    const client = await env.db.pool.connect();
    try {
      await client.query('begin');
      await client.query(
        'grant select on public.bulk_import_batches, public.bulk_import_staged_rows to authenticated',
      );
      // As PostgREST's session: logged in as authenticator, switched to the JWT's role.
      await client.query('set local session authorization authenticator');
      await client.query("select set_config('role', 'authenticated', true)");
      await client.query("select set_config('request.jwt.claims', $1, true)", [
        JSON.stringify({ sub: user.id, role: 'authenticated' }),
      ]);
      const seen = await client.query<{ merchant_id: string }>(
        'select distinct merchant_id from public.bulk_import_batches',
      );
      expect(seen.rows.map((r) => r.merchant_id)).toEqual([a.merchantId]);
      const rowsOfB = await client.query<{ n: number }>(
        'select count(*)::int as n from public.bulk_import_staged_rows where batch_id = $1',
        [batchOfB],
      );
      expect(rowsOfB.rows[0]?.n).toBe(0);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
