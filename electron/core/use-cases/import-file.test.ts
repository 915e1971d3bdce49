import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchSummarySchema, type StagedChunk } from '../../../shared/db/rpc-contract';
import { stagedRowsOf } from '../../../shared/db/staging';
import type { ReferenceCheck } from '../../../shared/domain/types';
import { disposeParseWorkers } from '../parse/parse-file';
import { batchDetail, fakeRpc, type FakeAnswers } from './fake-rpc';
import { checkFile } from './check-file';
import { importFile } from './import-file';
import type { CommitPhase } from '../../../shared/db/commit-import';

const MERCHANT = '99999999-2222-4333-8444-555555555555';
const USERS = [
  '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01',
  '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b02',
  '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b03',
];
const SKU = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';
const HEADER = 'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price';
const rows = USERS.map((u, i) => `T${i + 1},${u},2026-01-01T08:00:00Z,${SKU},1,2.50`);

let dir: string;
let clean: string;
let broken: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'import-file-'));
  clean = join(dir, 'march.csv');
  broken = join(dir, 'broken.csv');
  await writeFile(clean, [HEADER, ...rows].join('\n'));
  await writeFile(broken, [HEADER, ...rows, `T9,${USERS[0]},yesterday,${SKU},1,2.50`].join('\n'));
});
afterAll(async () => {
  await disposeParseWorkers();
  await rm(dir, { recursive: true, force: true });
});

const known = { unknownUserIds: [], unknownSkuIds: [], existingTransactions: [] };
const pending = batchDetail({ status: 'pending', stagedRows: 0, totalRows: 3 });
const committing = (reference: ReferenceCheck): FakeAnswers => ({
  import_check_references: () => reference,
  import_begin_batch: () => batchSummarySchema.parse(pending),
  import_stage_chunk: (args) => ({
    batchId: pending.id,
    chunkNo: args.p_chunk_no,
    rowCount: stagedRowsOf(args.p_rows).length,
    duplicate: false,
    stagedRows: stagedRowsOf(args.p_rows).length,
  }),
  import_commit_batch: () => batchDetail({ importedPurchases: 3, importedItems: 3 }),
});
const written = (calls: { fn: string }[]) =>
  calls.map((c) => c.fn).filter((fn) => fn !== 'import_check_references');

describe('importFile', () => {
  it('refuses a file with its own errors before asking the database to write anything', async () => {
    const rpc = fakeRpc(committing(known));
    const outcome = await importFile(rpc, { path: broken, merchantId: MERCHANT });
    expect(outcome.kind).toBe('refused-locally');
    expect(outcome.checked.localReport.errors[0]).toMatchObject({ row: 5, column: 'purchased_at' });
    expect(written(rpc.calls)).toEqual([]);
  });

  it('stops at a file whose ids are mostly unknown to the merchant, unless told to record it', async () => {
    const foreign = { ...known, unknownUserIds: USERS };
    const rpc = fakeRpc(committing(foreign));
    const outcome = await importFile(rpc, { path: clean, merchantId: MERCHANT });
    expect(outcome).toMatchObject({
      kind: 'wrong-merchant',
      foreign: { users: { unknown: 3, total: 3 } },
    });
    expect(written(rpc.calls)).toEqual([]);

    const recorded = await importFile(rpc, {
      path: clean,
      merchantId: MERCHANT,
      recordFailure: true,
    });
    expect(recorded.kind).toBe('batch');
  });

  it('with skipExisting, a file the database already holds whole is nothing to import', async () => {
    const all = USERS.map((_, i) => ({ transactionNumber: `T${i + 1}`, batchId: pending.id }));
    const rpc = fakeRpc(committing({ ...known, existingTransactions: all }));
    const outcome = await importFile(rpc, {
      path: clean,
      merchantId: MERCHANT,
      skipExisting: true,
    });
    expect(outcome.kind).toBe('nothing-to-import');
    expect(written(rpc.calls)).toEqual([]);
  });

  it('commits the rest as one batch named after the file, skipping what is already there', async () => {
    const existing = [{ transactionNumber: 'T2', batchId: pending.id }];
    const rpc = fakeRpc(committing({ ...known, existingTransactions: existing }));
    const outcome = await importFile(rpc, {
      path: clean,
      merchantId: MERCHANT,
      name: 'March',
      skipExisting: true,
    });
    expect(outcome.kind).toBe('batch');
    expect(written(rpc.calls)).toEqual([
      'import_begin_batch',
      'import_stage_chunk',
      'import_commit_batch',
    ]);
    expect(rpc.calls.find((c) => c.fn === 'import_begin_batch')?.args).toMatchObject({
      p_merchant_id: MERCHANT,
      p_name: 'March',
      p_file_name: 'march.csv',
      p_total_rows: 2,
    });
    const staged = rpc.calls.find((c) => c.fn === 'import_stage_chunk')?.args as {
      p_rows: StagedChunk;
    };
    expect(stagedRowsOf(staged.p_rows).map((r) => r.transaction_number)).toEqual(['T1', 'T3']);
  });

  it('answers with the check as checkFile gives it, and passes the commit progress on', async () => {
    const existing = [{ transactionNumber: 'T2', batchId: pending.id }];
    const answers = committing({ ...known, existingTransactions: existing });
    const phases: CommitPhase[] = [];
    const outcome = await importFile(
      fakeRpc(answers),
      { path: clean, merchantId: MERCHANT, skipExisting: true },
      { onCommitProgress: (progress) => phases.push(progress.phase) },
    );
    const checked = await checkFile(fakeRpc(answers), {
      path: clean,
      merchantId: MERCHANT,
      skipExisting: true,
    });
    expect(outcome.kind).toBe('batch');
    expect(outcome.checked).toEqual(checked);
    expect(outcome.checked.report.summary).toMatchObject({ rows: 3 });
    expect(new Set(phases)).toEqual(new Set(['beginning', 'staging', 'committing', 'done']));
  });
});
