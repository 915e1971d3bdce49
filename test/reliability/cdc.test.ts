import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { commitImport } from '../../shared/db/commit-import';
import { createImportRpc } from '../../shared/db/import-rpc';
import type { RpcFunctionName, StagedRow } from '../../shared/db/rpc-contract';
import { RpcError, type RpcTransport } from '../../shared/db/rpc-transport';
import { createPgTransport } from '../../electron/core/db/pg-transport';
import {
  beginAndStage,
  buildRows,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';
import {
  LogicalSlot,
  parseTestDecodingLine,
  type Change,
  type Consumed,
  type Transaction,
  type Tuple,
} from './support/cdc-decoding';
import { makePurchases, openImporter } from './support/fault-kit';
import { printFigures, runCount } from './support/mode';

// What a change-data-capture consumer (currency, tier, missions) reads from the server's logical
// decoding around imports. One temporary slot of this file's own (test_decoding, then pgoutput
// for the last test) sees the whole server; the suite keeps the transactions that touch its
// merchant, SKUs or batches and identifies a batch's rows by the ids staging assigned them, so
// "every row carries import_batch_id" is checked, not assumed. docs/change-data-capture.md states
// what these tests observe.

const url = inject('databaseUrl');
let db: TestDb;
let slot: LogicalSlot | null = null;
let publication: string | null = null;
let merchant: SeededMerchant;

/** Ids whose appearance in purchases, purchase_items or bulk_import_batches keeps a transaction. */
const watched = new Set<string>();
/** Every kept transaction, in commit order (the order a consumer receives them). */
const stream: Transaction[] = [];
const decodeMs: number[] = [];
let decodedRows = 0;
let keptRows = 0;
const observed: { label: string; transactions: number; rows: number; outcome: string }[] = [];
const figures: Record<string, string | number> = {};

interface TrackedBatch {
  id: string;
  label: string;
  merchantId: string;
  /** Distinct transaction numbers in file order. */
  transactionNumbers: string[];
  /** The id each purchase gets: its first row's staged purchase id, in file order. */
  purchaseIds: string[];
  /** Every staged purchase id (a purchase split over chunks got one per chunk at staging). */
  stagedPurchaseIds: Set<string>;
  /** Item ids in file order. */
  itemIds: string[];
}
const batches = new Map<string, TrackedBatch>();
/** Purchases sharing a batch's transaction number that are not the batch's (another writer's). */
const foreignPurchaseIds = new Set<string>();

const stagedIdsSchema = z.array(
  z.object({
    transaction_number: z.string(),
    purchase_id: z.string(),
    item_id: z.string(),
  }),
);

beforeAll(async () => {
  db = openTestDb(url, 12);
  merchant = await seedMerchant(db.pool, { users: 10, skus: 10, name: `CDC ${randomUUID()}` });
  for (const id of [merchant.merchantId, ...merchant.skuIds]) watched.add(id);
  slot = await LogicalSlot.create(url, 'test_decoding');
  figures['slot'] = `${slot.name} (temporary, test_decoding)`;
});

afterAll(async () => {
  // A slot left behind would retain WAL for the whole server: drop it whatever happened. It is
  // temporary as well, so ending its session would drop it anyway.
  await slot?.drop().catch(() => undefined);
  if (publication) await db?.pool.query(`drop publication if exists ${publication}`);
  await db?.close();
  printFigures('cdc', {
    ...figures,
    'batches observed': new Set(observed.map((o) => o.label)).size,
    'commit outcomes observed': observed.length,
    'transactions per batch (label: tx/rows)': observed
      .map(
        (o) =>
          `${o.label}${o.outcome === 'refused' ? ' [refused]' : ''}: ${o.transactions}/${o.rows}`,
      )
      .join(', '),
    'largest transaction (rows)': Math.max(0, ...observed.map((o) => o.rows)),
    'decode calls': decodeMs.length,
    'decode ms (total / max)': `${Math.round(sum(decodeMs))} / ${Math.round(Math.max(0, ...decodeMs))}`,
    'rows decoded (whole server) / kept': `${decodedRows} / ${keptRows}`,
  });
});

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

async function consume(): Promise<Consumed> {
  if (!slot) throw new Error('no slot');
  const consumed = await slot.consume([...watched]);
  stream.push(...consumed.transactions);
  decodeMs.push(consumed.ms);
  decodedRows += consumed.decodedRows;
  keptRows += consumed.keptRows;
  return consumed;
}

/** Registers a staged batch by the ids staging gave its purchases and items. */
async function track(batchId: string, label: string): Promise<TrackedBatch> {
  const result = await db.pool.query(
    `select transaction_number, purchase_id::text, item_id::text
     from public.bulk_import_staged_rows where batch_id = $1 order by row_number`,
    [batchId],
  );
  const rows = stagedIdsSchema.parse(result.rows);
  expect(rows.length).toBeGreaterThan(0);
  const firstOf = new Map<string, string>();
  for (const row of rows) {
    if (!firstOf.has(row.transaction_number)) firstOf.set(row.transaction_number, row.purchase_id);
  }
  const batch: TrackedBatch = {
    id: batchId,
    label,
    merchantId: merchant.merchantId,
    transactionNumbers: [...firstOf.keys()],
    purchaseIds: [...firstOf.values()],
    stagedPurchaseIds: new Set(rows.map((row) => row.purchase_id)),
    itemIds: rows.map((row) => row.item_id),
  };
  batches.set(batchId, batch);
  watched.add(batchId);
  return batch;
}

function value(tuple: Tuple | null, column: string): string | null {
  const cell = tuple?.[column];
  if (!cell) throw new Error(`no column ${column} in the decoded row`);
  if (cell.unchanged) throw new Error(`column ${column} arrived as unchanged TOAST`);
  return cell.value;
}

interface Located {
  xid: string;
  change: Change;
}

function located(table: string, transactions: readonly Transaction[] = stream): Located[] {
  return transactions.flatMap((tx) =>
    tx.changes
      .filter((change) => change.schema === 'public' && change.table === table)
      .map((change) => ({ xid: tx.xid, change })),
  );
}

/**
 * The batch's purchase and item rows in the stream, found without trusting import_batch_id: by
 * staged id, by import_batch_id, by merchant and transaction number, and items by their purchase.
 */
function rowsOf(
  batch: TrackedBatch,
  transactions: readonly Transaction[] = stream,
): { purchases: Located[]; items: Located[] } {
  const numbers = new Set(batch.transactionNumbers);
  const otherBatches = [...batches.values()].filter((b) => b.id !== batch.id);
  const purchases = located('purchases', transactions).filter(({ change }) => {
    const id = value(change.tuple, 'id') ?? '';
    if (batch.stagedPurchaseIds.has(id)) return true;
    if (value(change.tuple, 'import_batch_id') === batch.id) return true;
    return (
      value(change.tuple, 'merchant_id') === batch.merchantId &&
      numbers.has(value(change.tuple, 'transaction_number') ?? '') &&
      !foreignPurchaseIds.has(id) &&
      !otherBatches.some((b) => b.stagedPurchaseIds.has(id))
    );
  });
  const purchaseIds = new Set(purchases.map(({ change }) => value(change.tuple, 'id')));
  const itemIds = new Set(batch.itemIds);
  const items = located('purchase_items', transactions).filter(
    ({ change }) =>
      itemIds.has(value(change.tuple, 'id') ?? '') ||
      value(change.tuple, 'import_batch_id') === batch.id ||
      purchaseIds.has(value(change.tuple, 'purchase_id')),
  );
  return { purchases, items };
}

interface StatusStep {
  xid: string;
  action: string;
  status: string | null;
  stagedRows: number;
  importedPurchases: number;
  importedItems: number;
  errorMessage: string | null;
  errorCount: number;
  oldKeySent: boolean;
}

/** The batch's bulk_import_batches changes, in stream order. */
function statusTrail(batchId: string): StatusStep[] {
  return located('bulk_import_batches')
    .filter(({ change }) => value(change.tuple, 'id') === batchId)
    .map(({ xid, change }) => ({
      xid,
      action: change.action,
      status: value(change.tuple, 'status'),
      stagedRows: Number(value(change.tuple, 'staged_rows')),
      importedPurchases: Number(value(change.tuple, 'imported_purchases')),
      importedItems: Number(value(change.tuple, 'imported_items')),
      errorMessage: value(change.tuple, 'error_message'),
      errorCount: Number(value(change.tuple, 'error_count')),
      oldKeySent: change.oldKey !== null,
    }));
}

/** The batch's staged chunk records as inserted, in stream order (each staging call writes one). */
function chunkTrail(batchId: string): { xid: string; rowCount: number }[] {
  return located('bulk_import_staged_chunks')
    .filter(
      ({ change }) => change.action === 'INSERT' && value(change.tuple, 'batch_id') === batchId,
    )
    .map(({ xid, change }) => ({ xid, rowCount: Number(value(change.tuple, 'row_count')) }));
}

function transactionOf(xid: string): Transaction {
  const tx = stream.find((t) => t.xid === xid);
  if (!tx) throw new Error(`transaction ${xid} not in the stream`);
  return tx;
}

/**
 * The batch landed as exactly one transaction: all its purchases and items (the ids staging
 * assigned, matching what the tables hold), each carrying import_batch_id, nothing twice, and the
 * batch's status update to completed as the transaction's last change. With `fileOrder`, the
 * purchases and then the items arrive in file order, before the status update.
 */
async function expectOneTransaction(
  batch: TrackedBatch,
  options: { fileOrder: boolean },
): Promise<Transaction> {
  const { purchases, items } = rowsOf(batch);
  const xids = new Set([...purchases, ...items].map((row) => row.xid));
  expect([...xids], `${batch.label}: transactions holding its rows`).toHaveLength(1);
  const xid = [...xids][0] ?? '';
  const tx = transactionOf(xid);

  const purchaseIds = purchases.map(({ change }) => value(change.tuple, 'id'));
  const itemIds = items.map(({ change }) => value(change.tuple, 'id'));
  if (options.fileOrder) {
    expect(purchaseIds).toEqual(batch.purchaseIds);
    expect(itemIds).toEqual(batch.itemIds);
  } else {
    expect([...purchaseIds].sort()).toEqual([...batch.purchaseIds].sort());
    expect([...itemIds].sort()).toEqual([...batch.itemIds].sort());
  }
  for (const { change } of [...purchases, ...items]) {
    expect(change.action).toBe('INSERT');
    expect(value(change.tuple, 'import_batch_id')).toBe(batch.id);
  }
  for (const { change } of purchases) {
    expect(value(change.tuple, 'merchant_id')).toBe(batch.merchantId);
  }
  expect(new Set(purchases.map(({ change }) => value(change.tuple, 'transaction_number')))).toEqual(
    new Set(batch.transactionNumbers),
  );

  // The transaction holds nothing but this batch: its rows, then its status update.
  const last = tx.changes[tx.changes.length - 1];
  expect(last?.table).toBe('bulk_import_batches');
  expect(value(last?.tuple ?? null, 'id')).toBe(batch.id);
  expect(value(last?.tuple ?? null, 'status')).toBe('completed');
  expect(Number(value(last?.tuple ?? null, 'imported_purchases'))).toBe(batch.purchaseIds.length);
  expect(Number(value(last?.tuple ?? null, 'imported_items'))).toBe(batch.itemIds.length);
  // A retry of a failed batch first clears that failure's row errors (deletes of this batch's
  // bulk_import_batch_errors rows, before anything else); nothing else is in the transaction.
  const cleared = tx.changes.filter((change) => change.table === 'bulk_import_batch_errors');
  for (const change of cleared) {
    expect(change.action).toBe('DELETE');
    expect(tx.changes.indexOf(change)).toBeLessThan(cleared.length);
  }
  const changes = tx.changes.slice(cleared.length);
  expect(changes).toHaveLength(purchases.length + items.length + 1);
  if (options.fileOrder) {
    expect(changes.map((change) => change.table)).toEqual([
      ...purchases.map(() => 'purchases'),
      ...items.map(() => 'purchase_items'),
      'bulk_import_batches',
    ]);
  }

  // What the stream carried is exactly what the tables hold.
  const held = await db.pool.query(
    `select (select coalesce(array_agg(p.id::text order by p.id), '{}') from public.purchases p
              where p.import_batch_id = $1) as purchases,
            (select coalesce(array_agg(i.id::text order by i.id), '{}') from public.purchase_items i
              join public.purchases p on p.id = i.purchase_id
              where p.import_batch_id = $1) as items`,
    [batch.id],
  );
  const tables = z
    .object({ purchases: z.array(z.string()), items: z.array(z.string()) })
    .parse(held.rows[0]);
  expect([...purchaseIds].sort()).toEqual(tables.purchases);
  expect([...itemIds].sort()).toEqual(tables.items);
  return tx;
}

/** The batch put no purchase or item row into the stream. */
function expectNoRows(batch: TrackedBatch): void {
  const { purchases, items } = rowsOf(batch);
  expect(purchases, `${batch.label}: purchase rows in the stream`).toEqual([]);
  expect(items, `${batch.label}: item rows in the stream`).toEqual([]);
}

/**
 * The refused commit's transaction: the batch's update to `status`, and nothing else in purchases,
 * purchase_items or bulk_import_batches; a failed commit writes nothing else but its row errors
 * (bulk_import_batch_errors, one insert per error, all of this batch).
 */
function expectRefusalTransaction(
  batch: TrackedBatch,
  step: StatusStep | undefined,
  status: 'failed' | 'cancelled' = 'failed',
): Transaction {
  expect(step).toMatchObject({ action: 'UPDATE', status, importedPurchases: 0, importedItems: 0 });
  expect(step?.errorMessage).toBeTruthy();
  const tx = transactionOf(step?.xid ?? '');
  const published = tx.changes.filter((change) =>
    ['purchases', 'purchase_items', 'bulk_import_batches'].includes(change.table),
  );
  expect(published).toHaveLength(1);
  expect(value(published[0]?.tuple ?? null, 'id')).toBe(batch.id);
  if (status === 'failed') {
    // A batch refused again replaces its earlier errors (deletes), then records the new ones.
    // Its first refusal also records its distinct values, for re-checks (migration 0007).
    const values = tx.changes.filter((change) => change.table === 'bulk_import_batch_values');
    for (const change of values) {
      expect(change.action).toBe('INSERT');
      expect(value(change.tuple, 'batch_id')).toBe(batch.id);
    }
    const others = tx.changes.filter(
      (change) => !['bulk_import_batches', 'bulk_import_batch_values'].includes(change.table),
    );
    const inserts = others.filter((change) => change.action === 'INSERT');
    expect(inserts.length).toBe(step?.errorCount ?? -1);
    for (const change of others) {
      expect(change.table).toBe('bulk_import_batch_errors');
      expect(['INSERT', 'DELETE']).toContain(change.action);
      if (change.action === 'INSERT') expect(value(change.tuple, 'batch_id')).toBe(batch.id);
    }
  }
  return tx;
}

function record(batch: TrackedBatch, outcome: 'completed' | 'refused'): void {
  const { purchases, items } = rowsOf(batch);
  const xids = new Set([...purchases, ...items].map((row) => row.xid));
  observed.push({
    label: batch.label,
    transactions: xids.size,
    rows: purchases.length + items.length,
    outcome,
  });
}

/** begin + stage with chunks cut every `size` rows, splitting purchases across chunks. */
async function beginAndStageSplit(rows: readonly StagedRow[], size: number): Promise<string> {
  const staged = await beginAndStage(db.rpc, merchant, rows, {
    name: 'split purchases',
    splitEvery: size,
    fileName: 'split.csv',
  });
  return staged.batchId;
}

/** A transport that, once per named function, lets the call land and then loses its answer. */
function losingAnswers(inner: RpcTransport, lose: Map<RpcFunctionName, number>): RpcTransport {
  const calls = new Map<RpcFunctionName, number>();
  return {
    label: 'losing-answers',
    async call(fn, args) {
      const n = (calls.get(fn) ?? 0) + 1;
      calls.set(fn, n);
      const answer = await inner.call(fn, args);
      if (lose.get(fn) === n) throw new RpcError('unreachable', `answer of ${fn} lost`);
      return answer;
    },
    close: () => inner.close(),
  };
}

async function waitUntilBlockedBy(pid: number): Promise<number> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const waiting = await db.pool.query(
      'select pid from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
      [pid],
    );
    const blocked = z.array(z.object({ pid: z.number() })).parse(waiting.rows);
    if (blocked[0]) return blocked[0].pid;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nothing ever waited for ${pid}`);
}

/** How many of purchases and purchase_items the backend holds a write lock on. */
async function writtenTables(pid: number): Promise<number> {
  const holds = await db.pool.query(
    `select count(*)::int as n from pg_locks
     where pid = $1 and granted and mode = 'RowExclusiveLock'
       and relation in ('public.purchases'::regclass, 'public.purchase_items'::regclass)`,
    [pid],
  );
  return z.object({ n: z.number() }).parse(holds.rows[0]).n;
}

async function backendPid(client: pg.Client): Promise<number> {
  const result = await client.query('select pg_backend_pid() as pid');
  return z.object({ pid: z.number() }).parse(result.rows[0]).pid;
}

const TRICKY_NOTE = `it's "quoted" [x] y[text]:'z' null unchanged-toast-datum  two  spaces`;

describe('reading test_decoding output', () => {
  it('parses names, types and values the way the plugin quotes them', () => {
    const line = parseTestDecodingLine(
      `table public."odd ""t""": UPDATE: old-key: id[integer]:7 new-tuple: id[integer]:8 ` +
        `"a b"[text]:'it''s ] x[text]:''y''' tags[text[]]:'{a,b}' n[numeric]:-1.50 ` +
        `ok[boolean]:true bits[bit(3)]:B'101' gone[text]:null big[jsonb]:unchanged-toast-datum`,
    );
    expect(line).toEqual({
      kind: 'change',
      change: {
        schema: 'public',
        table: 'odd "t"',
        action: 'UPDATE',
        oldKey: { id: { type: 'integer', value: '7', unchanged: false } },
        tuple: {
          id: { type: 'integer', value: '8', unchanged: false },
          'a b': { type: 'text', value: "it's ] x[text]:'y'", unchanged: false },
          tags: { type: 'text[]', value: '{a,b}', unchanged: false },
          n: { type: 'numeric', value: '-1.50', unchanged: false },
          ok: { type: 'boolean', value: 'true', unchanged: false },
          bits: { type: 'bit(3)', value: '101', unchanged: false },
          gone: { type: 'text', value: null, unchanged: false },
          big: { type: 'jsonb', value: null, unchanged: true },
        },
      },
    });
    expect(parseTestDecodingLine('BEGIN 42')).toEqual({ kind: 'begin', xid: '42' });
    expect(parseTestDecodingLine('table public.t: DELETE: (no-tuple-data)')).toMatchObject({
      change: { action: 'DELETE', tuple: null },
    });
    expect(() => parseTestDecodingLine("table public.t: INSERT: a[text]:'open")).toThrow();
  });
});

describe('committed batches in the stream (test_decoding)', () => {
  it('a batch staged in several chunks is one transaction: purchases, items, then completed', async () => {
    const purchases = runCount(300, 5_000);
    const rows = buildRows(merchant, { purchases, itemsPerPurchase: 3 });
    // Awkward text, so the stream's quoting is proven on real rows: quotes, brackets, words the
    // format itself uses, and a null.
    for (const row of rows.filter((r) => r.transaction_number === rows[0]?.transaction_number)) {
      row.notes = TRICKY_NOTE;
    }
    for (const row of rows.filter((r) => r.transaction_number === rows[3]?.transaction_number)) {
      row.notes = null;
    }
    const { batchId, chunks } = await beginAndStage(db.rpc, merchant, rows, {
      name: 'several chunks',
      chunkSize: 200,
    });
    expect(chunks.length).toBeGreaterThan(3);
    figures['chunks of the several-chunks batch'] = chunks.length;
    const batch = await track(batchId, 'chunks');
    const committed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(committed).toMatchObject({ status: 'completed', importedPurchases: purchases });

    await consume();
    const tx = await expectOneTransaction(batch, { fileOrder: true });
    const first = rowsOf(batch).purchases;
    expect(value(first[0]?.change.tuple ?? null, 'notes')).toBe(TRICKY_NOTE);
    expect(first[1]?.change.tuple?.['notes']).toEqual({
      type: 'text',
      value: null,
      unchanged: false,
    });
    expect(value(first[0]?.change.tuple ?? null, 'total_amount')).toMatch(/^\d+\.\d\d$/);

    // bulk_import_batches: inserted pending, completed with the rows. Staging leaves the batch row
    // alone (chunks of one batch stage side by side, holding it in share mode): a chunk's record
    // is its count.
    const trail = statusTrail(batchId);
    expect(trail).toHaveLength(2);
    expect(trail[0]).toMatchObject({ action: 'INSERT', status: 'pending', stagedRows: 0 });
    const staging = chunkTrail(batchId);
    expect(staging.map((step) => step.rowCount)).toEqual(chunks.map((chunk) => chunk.length));
    expect(trail.at(-1)).toMatchObject({
      xid: tx.xid,
      action: 'UPDATE',
      status: 'completed',
      stagedRows: rows.length,
      importedPurchases: purchases,
      importedItems: rows.length,
      errorMessage: null,
      // REPLICA IDENTITY DEFAULT and an unchanged key: the update carries the new row only.
      oldKeySent: false,
    });
    const xids = [...trail, ...staging].map((step) => step.xid);
    expect(new Set(xids).size).toBe(xids.length);
    // Each staging call is a transaction of its own: the chunk's staged rows and its chunk record.
    for (const [i, step] of staging.entries()) {
      const tables = transactionOf(step.xid).changes.map(
        (change) => `${change.action} ${change.table}`,
      );
      expect(tables).toEqual([
        ...(chunks[i] ?? []).map(() => 'INSERT bulk_import_staged_rows'),
        'INSERT bulk_import_staged_chunks',
      ]);
    }
    record(batch, 'completed');
  });

  it('a batch whose purchases span chunks (numbered at commit) is still one transaction', async () => {
    const rows = buildRows(merchant, { purchases: runCount(120, 2_000), itemsPerPurchase: 3 });
    const batchId = await beginAndStageSplit(rows, 100);
    const check = await db.pool.query(
      `select import_private.chunks_complete($1)::text as complete`,
      [batchId],
    );
    // The commit takes its whole-batch path (one statement inserting purchases and items).
    expect(check.rows[0]).toEqual({ complete: 'false' });
    const batch = await track(batchId, 'split');
    const committed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(committed.status).toBe('completed');

    await consume();
    const tx = await expectOneTransaction(batch, { fileOrder: false });
    const tables = tx.changes.map((change) => change.table);
    figures['split batch: order seen'] =
      tables.lastIndexOf('purchases') < tables.indexOf('purchase_items')
        ? 'all purchases, then all items, then status'
        : 'purchases and items interleaved, then status';
    record(batch, 'completed');
  });

  it('ten concurrent commit calls: one transaction with the rows, nothing twice', async () => {
    const rows = buildRows(merchant, { purchases: runCount(200, 2_000), itemsPerPurchase: 2 });
    const { batchId } = await beginAndStage(db.rpc, merchant, rows, { chunkSize: 150 });
    const batch = await track(batchId, 'concurrent');
    const results = await Promise.all(
      Array.from({ length: 10 }, () => db.rpc.call('import_commit_batch', { p_batch_id: batchId })),
    );
    for (const result of results) {
      expect(result).toMatchObject({ status: 'completed', importedItems: rows.length });
    }

    await consume();
    await expectOneTransaction(batch, { fileOrder: true });
    const completions = statusTrail(batchId).filter((step) => step.status === 'completed');
    expect(completions).toHaveLength(1);
    record(batch, 'completed');
  });

  it('a resent import (lost answers to a chunk and to the commit, then the whole run again) lands one set', async () => {
    const purchases = makePurchases(merchant, `RS${randomUUID().slice(0, 6)}`, 60, 3);
    const key = randomUUID();
    const input = {
      merchantId: merchant.merchantId,
      name: 'resent',
      fileName: 'resent.csv',
      fileSha256: null,
      purchases,
      idempotencyKey: key,
      chunkRows: 45,
    };
    const fast = { retry: { attempts: 5, baseDelayMs: 1 }, sleep: async () => undefined };
    const lossy = createImportRpc(
      losingAnswers(
        createPgTransport({ pool: db.pool }, 'lossy'),
        new Map<RpcFunctionName, number>([
          ['import_stage_chunk', 2],
          ['import_commit_batch', 1],
        ]),
      ),
    );
    const first = await commitImport(lossy, input, fast);
    expect(first).toMatchObject({ status: 'completed', importedPurchases: 60, importedItems: 180 });
    // A resumed run with the same key, and a stray commit call, find the batch completed.
    const again = await commitImport(db.rpc, input, fast);
    expect(again.id).toBe(first.id);
    expect((await db.rpc.call('import_commit_batch', { p_batch_id: first.id })).status).toBe(
      'completed',
    );
    const batch = await track(first.id, 'resent');

    await consume();
    await expectOneTransaction(batch, { fileOrder: true });
    const trail = statusTrail(first.id);
    const chunkCount = Math.ceil(180 / 45);
    // The resent chunk was recognised (duplicate): one chunk record per chunk, not one more.
    expect(trail.map((step) => step.status)).toEqual(['pending', 'completed']);
    expect(chunkTrail(first.id)).toHaveLength(chunkCount);
    record(batch, 'completed');
  });

  it('a commit whose connection dies mid-insert leaves nothing; its retry is the one transaction', async () => {
    const rows = buildRows(merchant, { purchases: 40, itemsPerPurchase: 2 });
    const { batchId } = await beginAndStage(db.rpc, merchant, rows);
    const batch = await track(batchId, 'killed');
    // Holding a SKU row locked stops the commit in the items' foreign-key check: every purchase
    // and item of the batch is inserted by then, in a transaction that never commits.
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    const importer = openImporter(url, `cdc-killed-${randomUUID().slice(0, 8)}`);
    try {
      await locker.query('begin');
      await locker.query('select id from public.skus where id = $1 for update', [
        rows[rows.length - 1]?.sku_id,
      ]);
      const commit = importer.rpc.call('import_commit_batch', { p_batch_id: batchId }).then(
        () => 'answered',
        (error: unknown) => (error instanceof RpcError ? error.kind : 'other'),
      );
      const commitPid = await waitUntilBlockedBy(await backendPid(locker));
      // It waits with both tables written to: the insert itself is done.
      expect(await writtenTables(commitPid)).toBe(2);
      await db.pool.query('select pg_terminate_backend($1)', [commitPid]);
      expect(await commit).toBe('unreachable');
    } finally {
      await locker.query('rollback').catch(() => undefined);
      await locker.end();
      await importer.close();
    }
    expect((await db.rpc.call('import_get_batch', { p_batch_id: batchId })).status).toBe('pending');
    await consume();
    expectNoRows(batch);

    const retried = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(retried.status).toBe('completed');
    await consume();
    await expectOneTransaction(batch, { fileOrder: true });
    record(batch, 'completed');
  });
});

describe('refused batches in the stream (test_decoding)', () => {
  it('unknown ids: only the failed status; after the fix, the retry is one transaction', async () => {
    const rows = buildRows(merchant, { purchases: 20, itemsPerPurchase: 2 });
    const lateSku = randomUUID();
    const lateUser = randomUUID();
    watched.add(lateSku);
    rows[1]!.sku_id = lateSku;
    for (const row of rows.filter((r) => r.transaction_number === rows[6]?.transaction_number)) {
      row.user_id = lateUser;
    }
    const { batchId } = await beginAndStage(db.rpc, merchant, rows);
    const batch = await track(batchId, 'unknown ids');
    const failed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(failed.status).toBe('failed');

    await consume();
    expectNoRows(batch);
    const trail = statusTrail(batchId);
    expectRefusalTransaction(batch, trail.at(-1));
    expect(trail.at(-1)?.errorMessage).toBe('3 rows refused: 1 unknown user id, 1 unknown SKU id');
    record(batch, 'refused');

    await db.pool.query('insert into public.skus (id, merchant_id, name) values ($1, $2, $3)', [
      lateSku,
      merchant.merchantId,
      'late SKU',
    ]);
    await db.pool.query('insert into public.user_accounts (id, merchant_id) values ($1, $2)', [
      lateUser,
      merchant.merchantId,
    ]);
    const retried = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(retried.status).toBe('completed');
    await consume();
    await expectOneTransaction(batch, { fileOrder: true });
    expect(
      statusTrail(batchId)
        .map((step) => step.status)
        .slice(-2),
    ).toEqual(['failed', 'completed']);
    record(batch, 'completed');
  });

  it('a transaction number another batch imported: only the failed status', async () => {
    const firstRows = buildRows(merchant, { purchases: 4, itemsPerPurchase: 2 });
    const a = await beginAndStage(db.rpc, merchant, firstRows);
    const batchA = await track(a.batchId, 'owner');
    expect((await db.rpc.call('import_commit_batch', { p_batch_id: a.batchId })).status).toBe(
      'completed',
    );
    const rows = buildRows(merchant, { purchases: 10, itemsPerPurchase: 2 });
    for (const row of rows.slice(-2)) row.transaction_number = firstRows[0]!.transaction_number;
    const b = await beginAndStage(db.rpc, merchant, rows);
    const batchB = await track(b.batchId, 'conflicting');
    const failed = await db.rpc.call('import_commit_batch', { p_batch_id: b.batchId });
    expect(failed.errorMessage).toBe('2 rows refused: 1 transaction already imported');

    await consume();
    await expectOneTransaction(batchA, { fileOrder: true });
    record(batchA, 'completed');
    expectNoRows(batchB);
    expectRefusalTransaction(batchB, statusTrail(b.batchId).at(-1));

    // Committing it again is refused again: a second failed update, still no rows.
    expect((await db.rpc.call('import_commit_batch', { p_batch_id: b.batchId })).status).toBe(
      'failed',
    );
    await consume();
    expectNoRows(batchB);
    const trail = statusTrail(b.batchId);
    expect(trail.map((step) => step.status).slice(-2)).toEqual(['failed', 'failed']);
    expectRefusalTransaction(batchB, trail.at(-1));
    record(batchB, 'refused');
  });

  it('a database refusal after every row was inserted: the rolled-back rows never reach the stream', async () => {
    // A SKU the CRM deletes while the import commits: the check before the insert still sees it,
    // the items' foreign-key check (run once the insert statement has written every item) refuses.
    // No DDL, so the files running beside this one are not held up by a trigger's locks.
    const doomed = await db.pool.query(
      'insert into public.skus (merchant_id, name) values ($1, $2) returning id::text',
      [merchant.merchantId, 'deleted mid-commit'],
    );
    const doomedSku = z.object({ id: z.string() }).parse(doomed.rows[0]).id;
    watched.add(doomedSku);
    const rows = buildRows(merchant, { purchases: 50, itemsPerPurchase: 3 });
    rows[rows.length - 1]!.sku_id = doomedSku;
    const { batchId } = await beginAndStage(db.rpc, merchant, rows);
    const batch = await track(batchId, 'refused mid-insert');
    const writer = new pg.Client({ connectionString: url });
    await writer.connect();
    try {
      await writer.query('begin');
      await writer.query('delete from public.skus where id = $1', [doomedSku]);
      const commit = db.rpc.call('import_commit_batch', { p_batch_id: batchId });
      const commitPid = await waitUntilBlockedBy(await backendPid(writer));
      expect(await writtenTables(commitPid)).toBe(2);
      await writer.query('commit');
      const failed = await commit;
      expect(failed).toMatchObject({ status: 'failed', importedPurchases: 0 });
      expect(failed.errorMessage).toBe(
        'insert or update on table "purchase_items" violates foreign key constraint ' +
          '"purchase_items_sku_id_fkey" (SQLSTATE 23503)',
      );
    } finally {
      await writer.end();
    }

    await consume();
    // 50 purchases and 150 items were written in the commit's subtransaction before the refusal;
    // it rolled back, so the decoded commit holds the failed status alone.
    expectNoRows(batch);
    const trail = statusTrail(batchId);
    const refusal = expectRefusalTransaction(batch, trail.at(-1));
    const recorded = refusal.changes.filter((c) => c.table === 'bulk_import_batch_errors');
    expect(recorded).toHaveLength(1);
    expect({
      row: value(recorded[0]?.tuple ?? null, 'row_number'),
      code: value(recorded[0]?.tuple ?? null, 'code'),
      message: value(recorded[0]?.tuple ?? null, 'message'),
    }).toEqual({
      row: '0',
      code: 'conflict',
      message: expect.stringMatching(/^The database refused the batch: insert or update on table/),
    });
    record(batch, 'refused');

    await db.pool.query('insert into public.skus (id, merchant_id, name) values ($1, $2, $3)', [
      doomedSku,
      merchant.merchantId,
      'restored',
    ]);
    const retried = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(retried).toMatchObject({
      status: 'completed',
      importedPurchases: 50,
      importedItems: 150,
    });
    await consume();
    await expectOneTransaction(batch, { fileOrder: true });
    record(batch, 'completed');
  });

  it('a unique violation from a concurrent writer: only the failed status, the writer its own row', async () => {
    const rows = buildRows(merchant, { purchases: 30, itemsPerPurchase: 2 });
    const contested = rows[rows.length - 1]!.transaction_number;
    const { batchId } = await beginAndStage(db.rpc, merchant, rows);
    const batch = await track(batchId, 'writer conflict');
    const writer = new pg.Client({ connectionString: url });
    await writer.connect();
    try {
      await writer.query('begin');
      const inserted = await writer.query(
        `insert into public.purchases
           (merchant_id, user_id, transaction_number, purchased_at, total_amount)
         values ($1, $2, $3, now(), 1) returning id::text`,
        [merchant.merchantId, merchant.userIds[0], contested],
      );
      foreignPurchaseIds.add(z.object({ id: z.string() }).parse(inserted.rows[0]).id);
      const commit = db.rpc.call('import_commit_batch', { p_batch_id: batchId });
      await waitUntilBlockedBy(await backendPid(writer));
      await writer.query('commit');
      const failed = await commit;
      expect(failed.errorMessage).toMatch(/^duplicate key value violates unique constraint/);
    } finally {
      await writer.end();
    }

    await consume();
    expectNoRows(batch);
    const trail = statusTrail(batchId);
    expectRefusalTransaction(batch, trail.at(-1));
    // The writer's purchase is in the stream, in the writer's transaction, without a batch id.
    const writerRows = located('purchases').filter(({ change }) =>
      foreignPurchaseIds.has(value(change.tuple, 'id') ?? ''),
    );
    expect(writerRows).toHaveLength(1);
    expect(value(writerRows[0]?.change.tuple ?? null, 'import_batch_id')).toBeNull();
    record(batch, 'refused');
  });

  it('a failed batch’s errors arrive as rows in its refusal transaction, its summary whole in the update', async () => {
    const rows = buildRows(merchant, { purchases: 200, itemsPerPurchase: 2 });
    // A different unknown SKU on every row: the errors document is too large and too random to
    // stay inline, so the row stores it out of line (TOAST).
    for (const row of rows) row.sku_id = randomUUID();
    const { batchId } = await beginAndStage(db.rpc, merchant, rows);
    const batch = await track(batchId, 'many errors');
    const failed = await db.rpc.call('import_commit_batch', { p_batch_id: batchId });
    expect(failed.errorCount).toBe(rows.length);

    await consume();
    expectNoRows(batch);
    const updates = located('bulk_import_batches').filter(
      ({ change }) => value(change.tuple, 'id') === batchId,
    );
    const last = updates[updates.length - 1];
    const tx = expectRefusalTransaction(batch, statusTrail(batchId).at(-1));
    const errors = tx.changes.filter((change) => change.table === 'bulk_import_batch_errors');
    expect(errors).toHaveLength(rows.length);
    expect(new Set(errors.map((e) => value(e.tuple, 'code')))).toEqual(new Set(['unknown_sku']));
    const summary = z
      .array(z.object({ code: z.string(), rows: z.number(), distinctValues: z.number() }))
      .parse(JSON.parse(value(last?.change.tuple ?? null, 'error_summary') ?? 'null'));
    expect(summary).toEqual([
      expect.objectContaining({
        code: 'unknown_sku',
        rows: rows.length,
        distinctValues: rows.length,
      }),
    ]);
    record(batch, 'refused');
  });

  it('a cancelled batch: staging rows deleted and the status cancelled, nothing in purchases or items', async () => {
    const rows = buildRows(merchant, { purchases: 10, itemsPerPurchase: 2 });
    const { batchId, chunks } = await beginAndStage(db.rpc, merchant, rows, { chunkSize: 8 });
    const batch = await track(batchId, 'cancelled');
    expect((await db.rpc.call('import_cancel_batch', { p_batch_id: batchId })).status).toBe(
      'cancelled',
    );
    // Committing it afterwards is refused by an exception: nothing is written.
    await expect(db.rpc.call('import_commit_batch', { p_batch_id: batchId })).rejects.toThrow(
      /was cancelled/,
    );

    await consume();
    expectNoRows(batch);
    const trail = statusTrail(batchId);
    expect(trail.map((step) => step.status)).toEqual(['pending', 'cancelled']);
    expect(chunkTrail(batchId)).toHaveLength(chunks.length);
    const tx = expectRefusalTransaction(batch, trail.at(-1), 'cancelled');
    const deleted = tx.changes.filter((change) => change.action === 'DELETE');
    expect(new Set(deleted.map((change) => change.table))).toEqual(
      new Set(['bulk_import_staged_chunks', 'bulk_import_staged_rows']),
    );
    expect(deleted).toHaveLength(chunks.length + rows.length);
    record(batch, 'refused');
  });
});

describe('the whole stream', () => {
  it('every committed batch is one transaction, refused ones none, and no row appears twice', async () => {
    await consume();
    const completed = await db.pool.query(
      `select id::text, status from public.bulk_import_batches where id = any($1::uuid[])`,
      [[...batches.keys()]],
    );
    const statuses = new Map(
      z
        .array(z.object({ id: z.string(), status: z.string() }))
        .parse(completed.rows)
        .map((row) => [row.id, row.status]),
    );
    for (const batch of batches.values()) {
      if (statuses.get(batch.id) === 'completed') {
        await expectOneTransaction(batch, { fileOrder: batch.label !== 'split' });
      } else {
        expect(['failed', 'cancelled']).toContain(statuses.get(batch.id));
        expectNoRows(batch);
      }
    }
    for (const table of ['purchases', 'purchase_items']) {
      const ids = located(table).map(({ change }) => value(change.tuple, 'id'));
      expect(new Set(ids).size, `${table} ids seen twice`).toBe(ids.length);
    }
    // Nothing of a batch is ever updated or deleted in purchases or purchase_items.
    const other = [...located('purchases'), ...located('purchase_items')].filter(
      ({ change }) => change.action !== 'INSERT',
    );
    expect(other).toEqual([]);
    const identities = await db.pool.query(
      `select relname::text, relreplident::text from pg_class
       where oid in ('public.purchases'::regclass, 'public.purchase_items'::regclass,
                     'public.bulk_import_batches'::regclass) order by relname`,
    );
    expect(identities.rows).toEqual([
      { relname: 'bulk_import_batches', relreplident: 'd' },
      { relname: 'purchase_items', relreplident: 'd' },
      { relname: 'purchases', relreplident: 'd' },
    ]);
    figures['batches tracked'] = batches.size;
  });
});

describe('the same through pgoutput (what a subscription receives)', () => {
  it('a publication over the three tables shows one transaction per batch and nothing for a refused one', async () => {
    // One slot at a time: the server allows four and other files may need one.
    await slot?.drop();
    slot = null;
    publication = `cdc_suite_pub_${process.pid}_${Date.now()}`;
    await db.pool.query(
      `create publication ${publication}
       for table public.purchases, public.purchase_items, public.bulk_import_batches`,
    );
    slot = await LogicalSlot.create(url, 'pgoutput', publication);

    const rows = buildRows(merchant, { purchases: runCount(100, 2_000), itemsPerPurchase: 3 });
    const { batchId } = await beginAndStage(db.rpc, merchant, rows, { chunkSize: 90 });
    const batch = await track(batchId, 'pgoutput');
    expect((await db.rpc.call('import_commit_batch', { p_batch_id: batchId })).status).toBe(
      'completed',
    );
    const refusedRows = buildRows(merchant, { purchases: 5, itemsPerPurchase: 2 });
    refusedRows[0]!.user_id = randomUUID();
    const refused = await beginAndStage(db.rpc, merchant, refusedRows);
    const refusedBatch = await track(refused.batchId, 'pgoutput refused');
    expect((await db.rpc.call('import_commit_batch', { p_batch_id: refused.batchId })).status).toBe(
      'failed',
    );

    const consumed = await consume();
    const mine = consumed.transactions;
    const { purchases, items } = rowsOf(batch, mine);
    const xids = new Set([...purchases, ...items].map((row) => row.xid));
    expect(xids.size).toBe(1);
    const tx = mine.find((t) => xids.has(t.xid));
    expect(tx?.changes.map((change) => change.table)).toEqual([
      ...batch.purchaseIds.map(() => 'purchases'),
      ...batch.itemIds.map(() => 'purchase_items'),
      'bulk_import_batches',
    ]);
    expect(purchases.map(({ change }) => value(change.tuple, 'id'))).toEqual(batch.purchaseIds);
    expect(items.map(({ change }) => value(change.tuple, 'id'))).toEqual(batch.itemIds);
    for (const { change } of [...purchases, ...items]) {
      expect(value(change.tuple, 'import_batch_id')).toBe(batch.id);
    }
    const last = tx?.changes[tx.changes.length - 1];
    expect(value(last?.tuple ?? null, 'status')).toBe('completed');
    expect(last?.oldKey).toBeNull();

    expect(rowsOf(refusedBatch, mine)).toEqual({ purchases: [], items: [] });
    const refusedTrail = located('bulk_import_batches', mine).filter(
      ({ change }) => value(change.tuple, 'id') === refused.batchId,
    );
    const failedStep = refusedTrail[refusedTrail.length - 1];
    expect(value(failedStep?.change.tuple ?? null, 'status')).toBe('failed');
    expect(mine.find((t) => t.xid === failedStep?.xid)?.changes).toHaveLength(1);
    record(batch, 'completed');
    record(refusedBatch, 'refused');
    figures['pgoutput decode ms'] = Math.round(consumed.ms);
  });
});
