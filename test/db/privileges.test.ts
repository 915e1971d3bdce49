import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createImportRpc, type ImportRpc } from '../../shared/db/import-rpc';
import type { RpcArgs, RpcFunctionName } from '../../shared/db/rpc-contract';
import { RpcError } from '../../shared/db/rpc-transport';
import { createPgTransport } from '../../electron/core/db/pg-transport';
import { openTestDb, seedMerchant, type SeededMerchant, type TestDb } from '../support/seed';

const API: Record<RpcFunctionName, string> = {
  import_check_references:
    'public.import_check_references(uuid, uuid[], uuid[], text[], text[], text[], boolean)',
  import_begin_batch:
    'public.import_begin_batch(uuid, text, text, text, text, integer, integer, jsonb)',
  import_stage_chunk: 'public.import_stage_chunk(uuid, integer, json)',
  import_seal_batch: 'public.import_seal_batch(uuid, integer, integer, text, text)',
  import_discard_batch: 'public.import_discard_batch(uuid)',
  import_commit_batch: 'public.import_commit_batch(uuid)',
  import_cancel_batch: 'public.import_cancel_batch(uuid)',
  import_list_batches: 'public.import_list_batches(uuid, text, text, integer, integer)',
  import_get_batch: 'public.import_get_batch(uuid, integer, integer)',
  import_batch_overview: 'public.import_batch_overview(uuid, integer)',
  import_list_batch_errors:
    'public.import_list_batch_errors(uuid, text, text, integer, text, integer)',
  import_recheck_batch: 'public.import_recheck_batch(uuid, integer, integer)',
  import_list_merchants: 'public.import_list_merchants()',
  import_whoami: 'public.import_whoami()',
  import_list_skus: 'public.import_list_skus(uuid, text, integer)',
  import_list_users: 'public.import_list_users(uuid, text, integer)',
  import_list_operators: 'public.import_list_operators(uuid)',
  import_set_operator: 'public.import_set_operator(uuid, text, text)',
  import_remove_operator: 'public.import_remove_operator(uuid, uuid)',
};
const INTERNAL = [
  'import_private.assert_access(uuid, text)',
  'import_private.iso_time(timestamptz)',
  'import_private.current_actor()',
  'import_private.caller_is_trusted()',
  'import_private.batch_json(public.bulk_import_batches, integer, integer)',
  'import_private.find_batch(uuid)',
  'import_private.staged_row_count(uuid)',
  'import_private.assert_batch_totals(integer, integer)',
  'import_private.assert_chunk_fits(public.bulk_import_batches, integer, integer)',
  'import_private.chunk_columns(json)',
  'import_private.chunk_rows(json)',
  'import_private.same_staged_rows(uuid, integer, json)',
  'import_private.staged_errors(uuid, boolean)',
  'import_private.error_report(uuid, boolean, integer, integer)',
  'import_private.batch_values(uuid)',
  'import_private.batch_value_pairs(uuid)',
  'import_private.batch_distinct_values(uuid, boolean)',
  'import_private.record_batch_values(uuid)',
  'import_private.live_errors(uuid, integer, integer)',
  'import_private.check_staged_rows(uuid, integer, integer, integer)',
  'import_private.guard_batch_status()',
  'import_private.resolve_keys(uuid, text, text[])',
  'import_private.resolve_staged_keys(uuid, uuid, boolean)',
  'import_private.describe_candidates(jsonb)',
  'import_private.delete_staged_chunk_rows()',
];
const TABLES = [
  'public.bulk_import_batches',
  'public.bulk_import_staged_chunks',
  'public.bulk_import_staged_rows',
  'public.bulk_import_batch_values',
  'public.import_operators',
];

let db: TestDb;
let merchant: SeededMerchant;
const role = `import_no_grants_${randomBytes(4).toString('hex')}`;
const password = `pw-${randomBytes(12).toString('hex')}`;
let stranger: ImportRpc;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 1, skus: 1 });
  await db.pool.query(`create role ${role} login password '${password}'`);
  const url = new URL(inject('databaseUrl'));
  url.username = role;
  url.password = password;
  stranger = createImportRpc(createPgTransport({ connectionString: url.toString() }));
});
afterAll(async () => {
  await stranger.transport.close();
  await db.pool.query(`drop role if exists ${role}`);
  await db.close();
});

async function privilege(roleName: string, fn: string): Promise<boolean> {
  const result = await db.pool.query<{ ok: boolean }>(
    'select has_function_privilege($1, $2, $3) as ok',
    [roleName, fn, 'execute'],
  );
  return result.rows[0]?.ok ?? false;
}

describe('function privileges', () => {
  it('grants the client functions to authenticated and service_role only', async () => {
    for (const fn of Object.values(API)) {
      expect({ fn, public: await privilege('public', fn) }).toEqual({ fn, public: false });
      expect({ fn, anon: await privilege('anon', fn) }).toEqual({ fn, anon: false });
      expect({ fn, auth: await privilege('authenticated', fn) }).toEqual({ fn, auth: true });
      expect({ fn, svc: await privilege('service_role', fn) }).toEqual({ fn, svc: true });
    }
  });

  it('grants the internal helpers to nobody', async () => {
    for (const fn of INTERNAL) {
      for (const grantee of ['public', 'anon', 'authenticated', 'service_role']) {
        expect({ fn, grantee, ok: await privilege(grantee, fn) }).toEqual({
          fn,
          grantee,
          ok: false,
        });
      }
    }
  });

  it('keeps the import tables away from client roles', async () => {
    for (const table of TABLES) {
      for (const grantee of ['anon', 'authenticated']) {
        const result = await db.pool.query<{ ok: boolean; rls: boolean }>(
          `select has_table_privilege($1, $2, 'select, insert, update, delete') as ok,
                  (select relrowsecurity from pg_class where oid = $2::regclass) as rls`,
          [grantee, table],
        );
        expect({ table, grantee, ...result.rows[0] }).toEqual({
          table,
          grantee,
          ok: false,
          rls: true,
        });
      }
    }
  });

  it('keeps the migrations bookkeeping away from client roles', async () => {
    for (const grantee of ['anon', 'authenticated', 'service_role']) {
      const result = await db.pool.query<{ ok: boolean }>(
        `select has_table_privilege($1, 'import_private.schema_migrations', 'select, insert') as ok`,
        [grantee],
      );
      expect({ grantee, ok: result.rows[0]?.ok }).toEqual({ grantee, ok: false });
    }
  });

  it('exposes security invoker functions that call security definer bodies, all with an empty search_path', async () => {
    const result = await db.pool.query<{ name: string; definer: boolean; config: string[] | null }>(
      `select format('%s.%s', p.pronamespace::regnamespace, p.proname) as name,
              p.prosecdef as definer, p.proconfig as config
       from pg_proc p
       where (p.pronamespace = 'public'::regnamespace and p.proname like 'import\\_%')
          or p.pronamespace = 'import_private'::regnamespace`,
    );
    for (const name of Object.keys(API)) {
      const api = result.rows.find((row) => row.name === `public.${name}`);
      const body = result.rows.find(
        (row) => row.name === `import_private.${name.replace(/^import_/, '')}`,
      );
      expect({ name, definer: api?.definer }).toEqual({ name, definer: false });
      expect({ name, definer: body?.definer }).toEqual({ name, definer: true });
    }
    for (const row of result.rows) {
      expect(row.config, row.name).toContain('search_path=""');
    }
  });
});

describe('a role without grants', () => {
  const calls: { [F in RpcFunctionName]: () => RpcArgs[F] } = {
    import_check_references: () => ({
      p_merchant_id: merchant.merchantId,
      p_user_ids: [],
      p_sku_ids: [],
      p_transaction_numbers: [],
    }),
    import_begin_batch: () => ({
      p_merchant_id: merchant.merchantId,
      p_idempotency_key: 'k',
      p_name: null,
      p_file_name: null,
      p_file_sha256: null,
      p_total_rows: 0,
      p_chunk_count: 0,
    }),
    import_stage_chunk: () => ({ p_batch_id: merchant.merchantId, p_chunk_no: 0, p_rows: [] }),
    import_seal_batch: () => ({
      p_batch_id: merchant.merchantId,
      p_total_rows: 0,
      p_chunk_count: 0,
      p_file_sha256: null,
    }),
    import_discard_batch: () => ({ p_batch_id: merchant.merchantId }),
    import_commit_batch: () => ({ p_batch_id: merchant.merchantId }),
    import_cancel_batch: () => ({ p_batch_id: merchant.merchantId }),
    import_list_batches: () => ({
      p_merchant_id: merchant.merchantId,
      p_status: null,
      p_search: null,
      p_limit: 10,
      p_offset: 0,
    }),
    import_get_batch: () => ({ p_batch_id: merchant.merchantId }),
    import_batch_overview: () => ({ p_merchant_id: merchant.merchantId, p_days: 7 }),
    import_list_batch_errors: () => ({
      p_batch_id: merchant.merchantId,
      p_code: null,
      p_value: null,
      p_after_row: null,
      p_after_column: null,
      p_limit: 10,
    }),
    import_recheck_batch: () => ({ p_batch_id: merchant.merchantId }),
    import_list_merchants: () => ({}),
    import_whoami: () => ({}),
    import_list_skus: () => ({ p_merchant_id: merchant.merchantId, p_search: null, p_limit: 10 }),
    import_list_users: () => ({ p_merchant_id: merchant.merchantId, p_search: null, p_limit: 10 }),
    import_list_operators: () => ({ p_merchant_id: merchant.merchantId }),
    import_set_operator: () => ({
      p_merchant_id: merchant.merchantId,
      p_email: 'someone@example.test',
      p_role: 'operator',
    }),
    import_remove_operator: () => ({
      p_merchant_id: merchant.merchantId,
      p_user_id: merchant.merchantId,
    }),
  };

  for (const fn of Object.keys(calls) as RpcFunctionName[]) {
    it(`gets 'permission denied' calling ${fn}`, async () => {
      const args = calls[fn]() as RpcArgs[typeof fn];
      const error = await stranger.call(fn, args).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RpcError);
      const rpcError = error as RpcError;
      expect(rpcError.kind).toBe('permission');
      expect(rpcError.code).toBe('42501');
      expect(rpcError.message).toBe(`permission denied for function ${fn}`);
      expect(rpcError.message).not.toContain(password);
    });
  }

  it('as a member of authenticated may call them, but is refused without an operator role', async () => {
    await db.pool.query(`grant authenticated to ${role}`);
    try {
      // The grant opens the door; the operators table decides what is behind it. A database
      // login with the authenticated role but no signed-in user operates nothing.
      for (const call of [
        () => stranger.call('import_list_merchants', {}),
        () =>
          stranger.call('import_list_batches', {
            p_merchant_id: merchant.merchantId,
            p_status: null,
            p_search: null,
            p_limit: 10,
            p_offset: 0,
          }),
      ]) {
        const error = await call().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(RpcError);
        expect((error as RpcError).kind).toBe('permission');
        expect((error as RpcError).message).toContain('accepted only through the API');
      }
    } finally {
      await db.pool.query(`revoke authenticated from ${role}`);
    }
  });

  it('cannot read the import tables directly', async () => {
    const url = new URL(inject('databaseUrl'));
    url.username = role;
    url.password = password;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await expect(client.query('select * from public.bulk_import_batches')).rejects.toMatchObject({
        code: '42501',
      });
    } finally {
      await client.end();
    }
  });
});

describe('JWT claims from outside PostgREST', () => {
  it('are refused: a login role granted authenticated cannot impersonate an admin', async () => {
    const forger = `import_forger_${randomBytes(4).toString('hex')}`;
    const forgerPassword = `pw-${randomBytes(12).toString('hex')}`;
    const admin = await db.pool.query<{ id: string }>(
      `insert into auth.users (email) values ($1) returning id`,
      [`admin-${randomBytes(4).toString('hex')}@example.test`],
    );
    const adminId = admin.rows[0]?.id;
    await db.pool.query(
      `insert into public.import_operators (user_id, merchant_id, role) values ($1, $2, 'admin')`,
      [adminId, merchant.merchantId],
    );
    await db.pool.query(`create role ${forger} login password '${forgerPassword}'`);
    await db.pool.query(`grant authenticated to ${forger}`);
    const url = new URL(inject('databaseUrl'));
    url.username = forger;
    url.password = forgerPassword;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      const claims = JSON.stringify({ sub: adminId, role: 'authenticated', email: 'x@y.test' });
      await client.query('set role authenticated');
      await client.query(`select set_config('request.jwt.claims', $1, false)`, [claims]);
      await client.query(`select set_config('request.jwt.claim.sub', $1, false)`, [adminId]);
      for (const sql of [
        'select public.import_list_operators($1)',
        `select public.import_set_operator($1, 'forger@example.test', 'admin')`,
        'select import_private.list_operators($1)',
        `select public.import_list_batches($1, null, null, 10, 0)`,
      ]) {
        const error = await client.query(sql, [merchant.merchantId]).then(
          () => null,
          (e: unknown) => e,
        );
        expect({ sql, error }).toMatchObject({
          sql,
          error: { code: '42501', message: expect.stringContaining('only through the API') },
        });
      }
    } finally {
      await client.end();
      await db.pool.query(`drop role if exists ${forger}`);
    }
  });
});
