import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StagedRow } from '../../shared/db/rpc-contract';
import { RpcError } from '../../shared/db/rpc-transport';
import { checkReferences } from '../../electron/core/use-cases/check-references';
import {
  beginAndStage,
  countImported,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';
import { openSupabaseTestEnv, rejectionOf } from '../support/supabase-env';

// Issue 13: members named by e-mail and SKUs by code, resolved by the database per merchant in
// the reference check, again under the commit's lock, and again by recheck and retry.

let db: TestDb;
let a: SeededMerchant;
let b: SeededMerchant;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  // seedMerchant gives every merchant user1@example.test… and SKU-1…: the same keys, other rows.
  a = await seedMerchant(db.pool, { users: 3, skus: 3 });
  b = await seedMerchant(db.pool, { users: 3, skus: 3 });
  await db.pool.query(
    `insert into public.user_accounts (merchant_id, email, display_name) values ($1, 'only-b@example.test', 'B only')`,
    [b.merchantId],
  );
  await db.pool.query(
    `update public.user_accounts set display_name = 'Alice Martin' where id = $1`,
    [a.userIds[0]],
  );
});
afterAll(async () => {
  await db.close();
});

/** The reference check as the engine asks it (use case), names included. */
function resolve(merchant: SeededMerchant, emails: string[], codes: string[]) {
  return checkReferences(
    db.rpc,
    merchant.merchantId,
    { userIds: [], skuIds: [], transactionNumbers: [], userEmails: emails, skuCodes: codes },
    { names: true },
  );
}

async function addUser(merchant: SeededMerchant, email: string, name: string): Promise<string> {
  const result = await db.pool.query<{ id: string }>(
    `insert into public.user_accounts (merchant_id, email, display_name) values ($1, $2, $3) returning id`,
    [merchant.merchantId, email, name],
  );
  const id = result.rows[0]?.id;
  if (!id) throw new Error('no id');
  return id;
}

async function addSku(merchant: SeededMerchant, code: string, name: string): Promise<string> {
  const result = await db.pool.query<{ id: string }>(
    `insert into public.skus (merchant_id, code, name) values ($1, $2, $3) returning id`,
    [merchant.merchantId, code, name],
  );
  const id = result.rows[0]?.id;
  if (!id) throw new Error('no id');
  return id;
}

/** One purchase of two items naming its member by e-mail and its SKUs by code. */
function keyedRows(options: {
  email: string;
  userId: string | null;
  codes: [string, string | null][];
  tx?: string;
}): StagedRow[] {
  const tx = options.tx ?? `K-${randomUUID().slice(0, 8)}`;
  return options.codes.map(([code, skuId], i) => ({
    row: 2 + i,
    transaction_number: tx,
    user_id: options.userId,
    user_email: options.email,
    purchased_at: '2026-05-01T10:00:00.000Z',
    sku_id: skuId,
    sku_code: code,
    quantity: 1,
    unit_price: '2.50',
    currency: 'EUR',
    total_amount: null,
    store_code: null,
    notes: null,
  }));
}

describe('import_check_references with natural keys', () => {
  it('resolves e-mails (trimmed, any case) and codes (exactly) per merchant', async () => {
    const result = await resolve(
      a,
      ['  USER1@Example.TEST ', 'user2@example.test', 'only-b@example.test'],
      ['SKU-1', 'sku-1', 'SKU-3'],
    );
    // In the order sent; the database trims and lower-cases e-mails, and takes codes as they are.
    expect(result.userKeys).toEqual([
      { key: '  USER1@Example.TEST ', id: a.userIds[0], name: 'Alice Martin', candidates: [] },
      { key: 'user2@example.test', id: a.userIds[1], name: 'user2@example.test', candidates: [] },
      { key: 'only-b@example.test', id: null, name: null, candidates: [] },
    ]);
    expect(result.skuKeys).toEqual([
      { key: 'SKU-1', id: a.skuIds[0], name: 'Product 1', candidates: [] },
      { key: 'sku-1', id: null, name: null, candidates: [] },
      { key: 'SKU-3', id: a.skuIds[2], name: 'Product 3', candidates: [] },
    ]);

    const forB = await resolve(b, ['user1@example.test', 'only-b@example.test'], ['SKU-1']);
    expect((forB.userKeys ?? []).map((k) => k.id)).toEqual([b.userIds[0], expect.any(String)]);
    expect((forB.skuKeys ?? []).map((k) => k.id)).toEqual([b.skuIds[0]]);

    // A whole file's keys are resolved without names (the preview asks for those on screen).
    const bare = await db.rpc.call('import_check_references', {
      p_merchant_id: a.merchantId,
      p_user_ids: [],
      p_sku_ids: [],
      p_transaction_numbers: [],
      p_user_emails: ['user1@example.test'],
    });
    expect(bare).toEqual({
      unknownUserIds: [],
      unknownSkuIds: [],
      existingTransactions: [],
      userKeyIds: [a.userIds[0]],
      sharedUserKeys: [],
    });
  });

  it('names the candidates of a key two members or two SKUs share', async () => {
    const m = await seedMerchant(db.pool, { users: 1, skus: 1 });
    const first = await addUser(m, 'twin@example.test', 'Twin One');
    const second = await addUser(m, ' Twin@Example.test', 'Twin Two');
    const skuOne = await addSku(m, 'DUP', 'Dup one');
    const skuTwo = await addSku(m, 'DUP', 'Dup two');
    const result = await resolve(m, ['twin@example.test'], ['DUP']);
    expect(result.userKeys).toEqual([
      {
        key: 'twin@example.test',
        id: null,
        name: null,
        candidates: [
          { id: first, name: 'Twin One' },
          { id: second, name: 'Twin Two' },
        ],
      },
    ]);
    expect(result.skuKeys?.[0]?.candidates).toEqual([
      { id: skuOne, name: 'Dup one' },
      { id: skuTwo, name: 'Dup two' },
    ]);

    // Staged anyway (as unknown ids are), the commit refuses them naming both candidates.
    const rows = keyedRows({ email: 'twin@example.test', userId: null, codes: [['DUP', null]] });
    const { batchId } = await beginAndStage(db.rpc, m, rows);
    const done = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(done.status).toBe('failed');
    const messages = done.errors.map((e) => `${e.column} ${e.code} ${e.message}`);
    expect(messages).toEqual([
      expect.stringMatching(
        new RegExp(`^sku_code ambiguous_key .*DUP.*${skuOne}.*Dup one.*${skuTwo}.*Dup two`),
      ),
      expect.stringMatching(
        new RegExp(`^user_email ambiguous_key .*twin@example.test.*${first}.*${second}`),
      ),
    ]);
    expect(done.errorMessage).toBe('1 row refused: 2 ambiguous keys');
  });
});

describe('committing keyed rows', () => {
  it('imports the resolved ids and keeps the key each row used', async () => {
    const rows = keyedRows({
      email: 'user1@example.test',
      userId: a.userIds[0] ?? null,
      codes: [
        ['SKU-1', a.skuIds[0] ?? null],
        ['SKU-2', a.skuIds[1] ?? null],
      ],
    });
    const { batchId } = await beginAndStage(db.rpc, a, rows);
    const done = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(done.status).toBe('completed');
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: 1, items: 2 });
    const items = await db.pool.query<{ user_id: string; sku_id: string }>(
      `select p.user_id, i.sku_id from public.purchase_items i
       join public.purchases p on p.id = i.purchase_id
       where i.import_batch_id = $1 order by i.line_number`,
      [batchId],
    );
    expect(items.rows).toEqual([
      { user_id: a.userIds[0], sku_id: a.skuIds[0] },
      { user_id: a.userIds[0], sku_id: a.skuIds[1] },
    ]);
    const staged = await db.pool.query(
      `select user_email, sku_code from public.bulk_import_staged_rows
       where batch_id = $1 order by row_number`,
      [batchId],
    );
    expect(staged.rows).toEqual([
      { user_email: 'user1@example.test', sku_code: 'SKU-1' },
      { user_email: 'user1@example.test', sku_code: 'SKU-2' },
    ]);
  });

  it('catches a key re-pointed between preview and commit, under the lock; retry re-resolves', async () => {
    const m = await seedMerchant(db.pool, { users: 2, skus: 2 });
    const [before, after] = m.userIds;
    const rows = keyedRows({
      email: 'user1@example.test',
      userId: before ?? null,
      codes: [['SKU-1', m.skuIds[0] ?? null]],
    });
    const { batchId } = await beginAndStage(db.rpc, m, rows);
    // Between the preview and the commit, the CRM gives the e-mail to the other member.
    await db.pool.query(`update public.user_accounts set email = 'old-' || email where id = $1`, [
      before,
    ]);
    await db.pool.query(
      `update public.user_accounts set email = 'user1@example.test', display_name = 'New Owner' where id = $1`,
      [after],
    );
    const failed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(failed.status).toBe('failed');
    expect(failed.errors).toEqual([
      expect.objectContaining({
        row: 2,
        column: 'user_email',
        code: 'key_changed',
        value: 'user1@example.test',
        message: expect.stringContaining(
          `was member ${before} when the file was checked and is now member ${after} (New Owner)`,
        ),
      }),
    ]);
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: 0, items: 0 });

    // Re-check and retry resolve against today's data: the e-mail's member now is `after`.
    const recheck = await db.rpc.call('import_recheck_batch', { p_batch_id: batchId });
    expect(recheck.ok).toBe(true);
    const retried = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(retried.status).toBe('completed');
    const owner = await db.pool.query(
      `select user_id from public.purchases where import_batch_id = $1`,
      [batchId],
    );
    expect(owner.rows).toEqual([{ user_id: after }]);
  });

  it('refuses an unknown key, and recheck and retry pass once the member and SKU exist', async () => {
    const m = await seedMerchant(db.pool, { users: 1, skus: 1 });
    const rows = keyedRows({
      email: 'newcomer@example.test',
      userId: null,
      codes: [
        ['NEW-SKU', null],
        ['SKU-1', m.skuIds[0] ?? null],
      ],
    });
    const { batchId } = await beginAndStage(db.rpc, m, rows);
    const failed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(failed.status).toBe('failed');
    expect(failed.errorMessage).toBe('2 rows refused: 1 unknown user e-mail, 1 unknown SKU code');
    expect(failed.errors.map((e) => [e.row, e.column, e.code, e.value])).toEqual([
      [2, 'sku_code', 'unknown_sku', 'NEW-SKU'],
      [2, 'user_email', 'unknown_user', 'newcomer@example.test'],
      [3, 'user_email', 'unknown_user', 'newcomer@example.test'],
    ]);

    const still = await db.rpc.call('import_recheck_batch', { p_batch_id: batchId });
    expect(still.ok).toBe(false);
    expect(still.unknownUserIds).toEqual([]);

    const newcomer = await addUser(m, 'Newcomer@example.test', 'Newcomer');
    const sku = await addSku(m, 'NEW-SKU', 'New product');
    const recheck = await db.rpc.call('import_recheck_batch', { p_batch_id: batchId });
    expect(recheck.ok).toBe(true);
    expect(recheck.resolved.map((r) => [r.column, r.value]).sort()).toEqual([
      ['sku_code', 'NEW-SKU'],
      ['user_email', 'newcomer@example.test'],
    ]);
    const retried = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(retried.status).toBe('completed');
    const items = await db.pool.query(
      `select p.user_id, i.sku_id from public.purchase_items i
       join public.purchases p on p.id = i.purchase_id
       where i.import_batch_id = $1 order by i.line_number`,
      [batchId],
    );
    expect(items.rows).toEqual([
      { user_id: newcomer, sku_id: sku },
      { user_id: newcomer, sku_id: m.skuIds[0] },
    ]);
  });

  it('resolves at commit, under the lock, a key the preview left unresolved', async () => {
    const m = await seedMerchant(db.pool, { users: 1, skus: 1 });
    const rows = keyedRows({
      email: ' Late@Example.test',
      userId: null,
      codes: [
        ['LATE-SKU', null],
        ['SKU-1', m.skuIds[0] ?? null],
      ],
    });
    const { batchId } = await beginAndStage(db.rpc, m, rows);
    // Unknown when the file was checked (staged without ids), created before the commit.
    const late = await addUser(m, 'late@example.test', 'Late Member');
    const sku = await addSku(m, 'LATE-SKU', 'Late product');
    const committed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(committed.status).toBe('completed');
    const items = await db.pool.query(
      `select p.user_id, i.sku_id from public.purchase_items i
       join public.purchases p on p.id = i.purchase_id
       where i.import_batch_id = $1 order by i.line_number`,
      [batchId],
    );
    expect(items.rows).toEqual([
      { user_id: late, sku_id: sku },
      { user_id: late, sku_id: m.skuIds[0] },
    ]);
  });

  it('counts the spellings of one e-mail as one key, before and after the refusal is recorded', async () => {
    // The commit reads keys as the file spelled them (one pass: batch_value_pairs) and folds the
    // spellings of an e-mail into one value: the refusal, its recorded values and a re-check must
    // all count 3 rows of one unknown e-mail, whichever spelling each row used.
    const m = await seedMerchant(db.pool, { users: 1, skus: 1 });
    const sku = m.skuIds[0] ?? null;
    const rows = [' Ghost@Example.test', 'ghost@example.test', 'GHOST@EXAMPLE.TEST '].flatMap(
      (email, i) =>
        keyedRows({ email, userId: null, codes: [['SKU-1', sku]] }).map((r) => ({
          ...r,
          row: 2 + i,
        })),
    );
    const { batchId } = await beginAndStage(db.rpc, m, rows);
    const pending = await db.rpc.call('import_recheck_batch', { p_batch_id: batchId });
    expect(pending.causes).toEqual([
      expect.objectContaining({
        code: 'unknown_user',
        column: 'user_email',
        rows: 3,
        distinctValues: 1,
      }),
    ]);
    const failed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(failed.errorMessage).toBe('3 rows refused: 1 unknown user e-mail');
    expect(failed.errors.map((e) => [e.row, e.value])).toEqual([
      [2, 'ghost@example.test'],
      [3, 'ghost@example.test'],
      [4, 'ghost@example.test'],
    ]);
    const recorded = await db.pool.query(
      `select distinct_values, row_counts, first_rows from public.bulk_import_batch_values
       where batch_id = $1 and column_name = 'user_email'`,
      [batchId],
    );
    expect(recorded.rows).toEqual([
      { distinct_values: ['ghost@example.test'], row_counts: [3], first_rows: [2] },
    ]);
    const recheck = await db.rpc.call('import_recheck_batch', { p_batch_id: batchId });
    expect(recheck.causes).toEqual([
      expect.objectContaining({ code: 'unknown_user', rows: 3, distinctValues: 1 }),
    ]);
  });

  it('catches a re-pointed key whichever spelling the rows used', async () => {
    const m = await seedMerchant(db.pool, { users: 2, skus: 1 });
    const [before, after] = m.userIds;
    const sku = m.skuIds[0] ?? null;
    const rows = ['user1@example.test', ' USER1@example.test'].flatMap((email, i) =>
      keyedRows({ email, userId: before ?? null, codes: [['SKU-1', sku]] }).map((r) => ({
        ...r,
        row: 2 + i,
      })),
    );
    const { batchId } = await beginAndStage(db.rpc, m, rows);
    await db.pool.query(`update public.user_accounts set email = 'old-' || email where id = $1`, [
      before,
    ]);
    await db.pool.query(
      `update public.user_accounts set email = 'user1@example.test' where id = $1`,
      [after],
    );
    const failed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(failed.errorMessage).toBe('2 rows refused: 1 key re-pointed since the check');
    expect(failed.errors.map((e) => [e.row, e.code, e.value])).toEqual([
      [2, 'key_changed', 'user1@example.test'],
      [3, 'key_changed', 'user1@example.test'],
    ]);
  });

  it("treats another merchant's e-mail as unknown at commit", async () => {
    const rows = keyedRows({
      email: 'only-b@example.test',
      userId: null,
      codes: [['SKU-1', a.skuIds[0] ?? null]],
    });
    const { batchId } = await beginAndStage(db.rpc, a, rows);
    const failed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(failed.errors.map((e) => [e.column, e.code, e.value])).toEqual([
      ['user_email', 'unknown_user', 'only-b@example.test'],
    ]);
  });

  it('refuses a staged row with neither an id nor a key', async () => {
    const rows = keyedRows({ email: 'x@example.test', userId: null, codes: [['SKU-1', null]] });
    const bare = rows.map((r) => ({ ...r, user_email: null }));
    await expect(beginAndStage(db.rpc, a, bare)).rejects.toThrow(/user_ref_check/);
  });
});

describe('who may resolve keys', () => {
  it("resolves a merchant's keys for its operator only (permission denied for anyone else)", async () => {
    const env = await openSupabaseTestEnv(inject('databaseUrl'), { clockSkewSeconds: 0 });
    try {
      const m = await seedMerchant(env.db.pool, { users: 2, skus: 2 });
      const other = await seedMerchant(env.db.pool, { users: 2, skus: 2 });
      const sign = async (
        roles: Record<string, 'operator' | 'support' | 'admin'>,
        label: string,
      ) => {
        const user = await env.createOperator(roles, label);
        return (await env.signIn(user.email, user.password)).rpc;
      };
      const operator = await sign({ [m.merchantId]: 'operator' }, 'keys-operator');
      const stranger = await sign({}, 'keys-stranger');
      const args = (merchantId: string) => ({
        p_merchant_id: merchantId,
        p_user_ids: [],
        p_sku_ids: [],
        p_transaction_numbers: [],
        p_user_emails: ['user1@example.test'],
        p_sku_codes: ['SKU-2'],
      });
      const mine = await operator.call('import_check_references', args(m.merchantId));
      expect(mine.userKeyIds).toEqual([m.userIds[0]]);
      expect(mine.skuKeyIds).toEqual([m.skuIds[1]]);
      for (const refused of [
        await rejectionOf(operator.call('import_check_references', args(other.merchantId))),
        await rejectionOf(stranger.call('import_check_references', args(m.merchantId))),
      ]) {
        expect(refused).toBeInstanceOf(RpcError);
        expect((refused as RpcError).code).toBe('42501');
      }
    } finally {
      await env.close();
    }
  });
});
