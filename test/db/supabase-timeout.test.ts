import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CommitTimeoutError, commitImport } from '../../shared/db/commit-import';
import { migrate } from '../../electron/core/db/migrate';
import type { ImportRpc } from '../../shared/db/import-rpc';
import { RpcError } from '../../shared/db/rpc-transport';
import { toRpcError } from '../../shared/db/supabase-transport';
import type { Purchase } from '../../shared/domain/types';
import { buildPurchases, countImported, seedMerchant, type SeededMerchant } from '../support/seed';
import { openSupabaseTestEnv, rejectionOf, type SupabaseTestEnv } from '../support/supabase-env';

// Supabase's statement timeout cutting a commit, for real: import_commit_batch's own
// statement_timeout (60 s in sql/schema, hoisted by PostgREST and by the double) is lowered to
// 1.5 s, and the commit is held inside the database on a lock the test owns until PostgreSQL
// cancels it (SQLSTATE 57014). What the user is told is the guidance (nothing was imported, what
// to do), never PostgreSQL's "canceling statement due to statement timeout"; the batch is whole or
// absent, and commits whole once the lock is gone. The lowered limit lives in a database of this
// file's own: on the shared one it would cut the other files' commits.

const TIMEOUT = '1500ms';
const ROLE_TIMEOUT = '3s';

let url: string;
let databaseName: string;
let env: SupabaseTestEnv;
let merchant: SeededMerchant;
let operator: ImportRpc;

async function onShared<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  databaseName = `timeout_${randomBytes(5).toString('hex')}`;
  await onShared((admin) => admin.query(`create database ${databaseName}`));
  const own = new URL(inject('databaseUrl'));
  own.pathname = `/${databaseName}`;
  url = own.toString();
  await migrate(url, { withReferenceSchema: true });
  const owner = new pg.Client({ connectionString: url });
  await owner.connect();
  try {
    await owner.query(
      `alter function public.import_commit_batch(uuid) set statement_timeout = '${TIMEOUT}'`,
    );
  } finally {
    await owner.end();
  }
  // The role's limit (Supabase: 8 s for authenticated) for the calls without one of their own.
  env = await openSupabaseTestEnv(url, { statementTimeouts: { authenticated: ROLE_TIMEOUT } });
  merchant = await seedMerchant(env.db.pool, { users: 10, skus: 10 });
  const user = await env.createOperator({ [merchant.merchantId]: 'operator' }, 'timeout');
  operator = (await env.signIn(user.email, user.password)).rpc;
});
afterAll(async () => {
  await env?.close();
  if (databaseName) {
    await onShared((admin) => admin.query(`drop database if exists ${databaseName} with (force)`));
  }
});

function purchases(count: number): Purchase[] {
  return buildPurchases(merchant, count, {
    prefix: `TO${randomUUID().slice(0, 8)}`,
    basePriceCents: 150,
    start: new Date(Date.UTC(2026, 4, 1, 8, 0)),
  });
}

/** A transaction of the test's own that holds a lock until released. */
async function holdLock(sql: string, params: unknown[]): Promise<{ release(): Promise<void> }> {
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  await holder.query('begin');
  await holder.query(sql, params);
  return {
    async release() {
      await holder.query('rollback');
      await holder.end();
    },
  };
}

const HOLDS = {
  // Before any insert: the per-merchant lock every commit of this merchant takes first.
  "waiting for the merchant's commit lock": () =>
    holdLock(
      `select pg_advisory_xact_lock(hashtextextended('public.import_commit_batch:' || $1, 0))`,
      [merchant.merchantId],
    ),
  // In the middle of the insert: every purchase written, an item's foreign key check waiting
  // for the SKU row the test has locked.
  'in the middle of its insert': (list: Purchase[]) =>
    holdLock('select 1 from public.skus where id = $1 for update', [
      list.at(-1)?.items.at(-1)?.skuId,
    ]),
};

describe('a commit cut by the statement timeout (Supabase API)', () => {
  it.each(Object.keys(HOLDS) as (keyof typeof HOLDS)[])(
    '%s: the user gets the guidance, the batch stays absent, and commits whole later',
    async (where) => {
      const list = purchases(30);
      const input = {
        merchantId: merchant.merchantId,
        name: 'timeout',
        fileName: 'timeout.csv',
        fileSha256: null,
        purchases: list,
        idempotencyKey: randomUUID(),
        chunkRows: 30,
      };
      const lock = await HOLDS[where](list);
      let error: unknown;
      try {
        error = await rejectionOf(
          commitImport(operator, input, { retry: { attempts: 6, baseDelayMs: 5 } }),
        );
      } finally {
        await lock.release();
      }
      expect(error).toBeInstanceOf(CommitTimeoutError);
      const cut = error as CommitTimeoutError;
      expect(cut.kind).toBe('timeout');
      expect(cut.code).toBe('57014');
      expect(cut.message).toContain('nothing was imported');
      expect(cut.message).toContain('raise the statement timeout');
      expect(cut.message).not.toMatch(/canceling statement/i);

      const batch = await operator.call('import_get_batch', { p_batch_id: cut.batchId });
      expect(batch).toMatchObject({ status: 'pending', stagedRows: 90, importedPurchases: 0 });
      expect(await countImported(env.db.pool, cut.batchId)).toEqual({ purchases: 0, items: 0 });

      // The same import again (same key) finds the batch and lands it whole.
      const landed = await commitImport(operator, input);
      expect(landed).toMatchObject({
        id: cut.batchId,
        status: 'completed',
        importedPurchases: 30,
        importedItems: 90,
      });
      expect(await countImported(env.db.pool, cut.batchId)).toEqual({ purchases: 30, items: 90 });
    },
  );

  it('is reported by the transport as a timeout with its SQLSTATE, one call at a time', async () => {
    // A fresh batch, staged, then one commit call held past the timeout.
    const staged = purchases(2);
    const begun = await operator.call('import_begin_batch', {
      p_merchant_id: merchant.merchantId,
      p_idempotency_key: randomUUID(),
      p_name: null,
      p_file_name: null,
      p_file_sha256: null,
      p_total_rows: 6,
      p_chunk_count: 1,
    });
    await operator.call('import_stage_chunk', {
      p_batch_id: begun.id,
      p_chunk_no: 0,
      p_rows: staged.flatMap((p) =>
        p.items.map((item) => ({
          row: item.row,
          transaction_number: p.transactionNumber,
          user_id: p.userId,
          purchased_at: p.purchasedAt,
          sku_id: item.skuId,
          quantity: item.quantity,
          unit_price: (item.unitPriceCents / 100).toFixed(2),
          currency: p.currency,
          total_amount: null,
          store_code: p.storeCode,
          notes: null,
        })),
      ),
    });
    const lock = await HOLDS["waiting for the merchant's commit lock"]();
    let error: unknown;
    try {
      error = await rejectionOf(operator.call('import_commit_batch', { p_batch_id: begun.id }));
    } finally {
      await lock.release();
    }
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toMatchObject({ kind: 'timeout', code: '57014' });
  });

  // The reference check has no limit of its own: the role's applies. (In
  // test/reliability/security.test.ts a huge id list may or may not outlast it, depending on the
  // machine; here a table lock the test holds makes the cut certain.)
  it('cuts a reference check at the role limit and reports it as a timeout', async () => {
    const lock = await holdLock('lock table public.user_accounts in access exclusive mode', []);
    let error: unknown;
    try {
      error = await rejectionOf(
        operator.call('import_check_references', {
          p_merchant_id: merchant.merchantId,
          p_user_ids: [randomUUID()],
          p_sku_ids: [],
          p_transaction_numbers: [],
        }),
      );
    } finally {
      await lock.release();
    }
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toMatchObject({ kind: 'timeout', code: '57014' });
  });

  it('classifies PostgREST answers for SQLSTATE 57014 as a timeout, whatever the wording', () => {
    const answer = (message: string) =>
      toRpcError({ status: 500, code: '57014', message, details: null, hint: null });
    expect(answer('canceling statement due to statement timeout').kind).toBe('timeout');
    // The code decides; a server in another language words the message differently.
    expect(answer('Anweisung wegen Zeitüberschreitung abgebrochen').kind).toBe('timeout');
    expect(
      toRpcError({ status: 500, code: 'XX000', message: 'internal', details: null, hint: null })
        .kind,
    ).toBe('refused');
  });
});
