import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CommitTimeoutError, commitOrReconcile } from '../../shared/db/commit-import';
import { createImportRpc, type ImportRpc } from '../../shared/db/import-rpc';
import { RpcError } from '../../shared/db/rpc-transport';
import { createPgTransport, toRpcError } from '../../electron/core/db/pg-transport';
import {
  beginAndStage,
  buildRows,
  countImported,
  openTestDb,
  seedMerchant,
  type SeededMerchant,
  type TestDb,
} from '../support/seed';

let db: TestDb;
let merchant: SeededMerchant;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 3, skus: 3 });
});
afterAll(async () => {
  await db.close();
});

async function failure(promise: Promise<unknown>): Promise<RpcError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RpcError);
  return error as RpcError;
}

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Holds the per-merchant commit lock, so a commit of that merchant's batch waits. */
async function holdCommitLock(merchantId: string): Promise<pg.Client> {
  const holder = new pg.Client({ connectionString: inject('databaseUrl') });
  await holder.connect();
  await holder.query('begin');
  await holder.query(
    `select pg_advisory_xact_lock(hashtextextended('public.import_commit_batch:' || $1, 0))`,
    [merchantId],
  );
  return holder;
}

async function waitForWaiter(holderPid: number): Promise<number> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const result = await db.pool.query<{ pid: number }>(
      'select pid from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
      [holderPid],
    );
    const pid = result.rows[0]?.pid;
    if (pid !== undefined) return pid;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('no session ever waited for the commit lock');
}

describe('createPgTransport', () => {
  it('labels a connection without its credentials', () => {
    const transport = createPgTransport({
      connectionString: 'postgresql://importer:s3cret-pass@db.example.test:6543/crm',
    });
    expect(transport.label).toBe('db.example.test:6543/crm');
    return transport.close();
  });

  it('reports a server that is not there as unreachable, without the password', async () => {
    const port = await closedPort();
    const secret = `pw-${randomUUID()}`;
    const rpc = createImportRpc(
      createPgTransport({ connectionString: `postgresql://someone:${secret}@127.0.0.1:${port}/x` }),
    );
    try {
      const error = await failure(rpc.call('import_list_merchants', {}));
      expect(error.kind).toBe('unreachable');
      expect(error.message).not.toContain(secret);
      expect(error.message).not.toContain(String(port) + '/x');
    } finally {
      await rpc.transport.close();
    }
  });

  it('reports a wrong password as a permission problem, without the password', async () => {
    const url = new URL(inject('databaseUrl'));
    url.password = `wrong-${randomUUID()}`;
    const rpc = createImportRpc(createPgTransport({ connectionString: url.toString() }));
    try {
      const error = await failure(rpc.call('import_list_merchants', {}));
      expect(error.kind).toBe('permission');
      expect(error.code).toBe('28P01');
      expect(error.message).not.toContain(url.password);
    } finally {
      await rpc.transport.close();
    }
  });

  it('reports a statement timeout as timeout, and the commit it cancelled left the batch as it was', async () => {
    const { batchId } = await beginAndStage(
      db.rpc,
      merchant,
      buildRows(merchant, { purchases: 2 }),
    );
    const holder = await holdCommitLock(merchant.merchantId);
    const pool = new pg.Pool({ connectionString: inject('databaseUrl'), statement_timeout: 300 });
    const rpc = createImportRpc(createPgTransport({ pool }));
    try {
      const error = await failure(rpc.call('import_commit_batch', { p_batch_id: batchId }));
      expect(error.kind).toBe('timeout');
      expect(error.code).toBe('57014');
    } finally {
      await holder.query('rollback');
      await holder.end();
      await pool.end();
    }
    expect((await db.rpc.call('import_get_batch', { p_batch_id: batchId })).status).toBe('pending');
  });

  it('gives up on a commit the statement timeout cuts twice, with a message that says nothing was imported', async () => {
    const rows = buildRows(merchant, { purchases: 2 });
    const { batchId } = await beginAndStage(db.rpc, merchant, rows);
    const holder = await holdCommitLock(merchant.merchantId);
    const pool = new pg.Pool({ connectionString: inject('databaseUrl'), statement_timeout: 300 });
    const inner = createImportRpc(createPgTransport({ pool }));
    let commits = 0;
    const rpc: ImportRpc = {
      transport: inner.transport,
      call: (fn, args) => {
        if (fn === 'import_commit_batch') commits++;
        return inner.call(fn, args);
      },
    };
    try {
      const error = await failure(commitOrReconcile(rpc, batchId, { attempts: 6, baseDelayMs: 1 }));
      expect(error).toBeInstanceOf(CommitTimeoutError);
      expect(error.kind).toBe('timeout');
      expect(error.message).toContain(`batch ${batchId} (${rows.length} rows)`);
      expect(error.message).toContain('nothing was imported');
      expect(commits).toBe(2);
    } finally {
      await holder.query('rollback');
      await holder.end();
      await pool.end();
    }
    expect((await db.rpc.call('import_get_batch', { p_batch_id: batchId })).status).toBe('pending');
    expect(await countImported(db.pool, batchId)).toEqual({ purchases: 0, items: 0 });
  });

  it('reports a connection killed mid-call as unreachable; the batch stays pending', async () => {
    const { batchId } = await beginAndStage(
      db.rpc,
      merchant,
      buildRows(merchant, { purchases: 2 }),
    );
    const holder = await holdCommitLock(merchant.merchantId);
    const holderPid = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid'))
      .rows[0]!.pid;
    const rpc = createImportRpc(createPgTransport({ connectionString: inject('databaseUrl') }));
    try {
      const pending = failure(rpc.call('import_commit_batch', { p_batch_id: batchId }));
      const waiter = await waitForWaiter(holderPid);
      await db.pool.query('select pg_terminate_backend($1)', [waiter]);
      const error = await pending;
      expect(error.kind).toBe('unreachable');
      // The pool recovers: the next call gets a fresh connection.
      await holder.query('rollback');
      const batch = await rpc.call('import_get_batch', { p_batch_id: batchId });
      expect(batch.status).toBe('pending');
      const committed = await rpc.call('import_commit_batch', { p_batch_id: batchId });
      expect(committed.status).toBe('completed');
    } finally {
      await holder.end();
      await rpc.transport.close();
    }
  });

  it('maps SQLSTATEs to the kinds the engine acts on', () => {
    const make = (code: string): pg.DatabaseError => {
      const error = new pg.DatabaseError(`server said ${code}`, 0, 'error');
      error.code = code;
      return error;
    };
    const kinds = Object.fromEntries(
      [
        '08006',
        '08001',
        '57P01',
        '57P02',
        '57P03',
        '57014',
        '42501',
        '28000',
        '28P01',
        '23505',
        'P0001',
        'P0002',
      ].map((code) => [code, toRpcError(make(code)).kind]),
    );
    expect(kinds).toEqual({
      '08006': 'unreachable',
      '08001': 'unreachable',
      '57P01': 'unreachable',
      '57P02': 'unreachable',
      '57P03': 'unreachable',
      '57014': 'timeout',
      '42501': 'permission',
      '28000': 'permission',
      '28P01': 'permission',
      '23505': 'refused',
      P0001: 'refused',
      P0002: 'refused',
    });
    expect(toRpcError(make('P0001')).code).toBe('P0001');
    expect(toRpcError(new Error('Connection terminated unexpectedly')).kind).toBe('unreachable');
    const secret = 'postgresql://u:hunter22@h:5432/d';
    expect(toRpcError(new Error(`cannot parse ${secret}`), secret).message).not.toContain(
      'hunter22',
    );
  });

  it('passes a refusal through with the server message and SQLSTATE', async () => {
    const error = await failure(db.rpc.call('import_get_batch', { p_batch_id: randomUUID() }));
    expect(error.kind).toBe('refused');
    expect(error.code).toBe('P0002');
  });
});
