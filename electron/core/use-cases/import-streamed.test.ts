import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batchSummarySchema,
  type RpcArgs,
  type StagedChunk,
} from '../../../shared/db/rpc-contract';
import { RpcError } from '../../../shared/db/rpc-transport';
import { stagedRowsOf, toStagedChunk } from '../../../shared/db/staging';
import { PurchaseList } from '../../../shared/domain/purchase-list';
import type { ReferenceCheck } from '../../../shared/domain/types';
import { disposeParseWorkers, parseCsvFile } from '../parse/parse-file';
import { batchDetail, fakeRpc, type FakeAnswers, type FakeRpc } from './fake-rpc';
import { importFile } from './import-file';

// importFile staging while the file is read (issue 14): the open batch it begins from the
// worker's chunks is sealed and committed only when it stands for exactly the file's purchases;
// refused files leave nothing (discard), and any stream that cannot stand for the file is
// discarded and the file imported the usual way.

const MERCHANT = '99999999-2222-4333-8444-555555555555';
const USER = (i: number) => `0b7e4f7a-3c1d-4e8b-9a55-${String(i % 7).padStart(12, '0')}`;
const SKU = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';
const HEADER = 'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price';
const CHUNK_ROWS = 10;

/** 40 purchases of 1 to 3 items (80 rows), each transaction's rows adjacent. */
function lines(): string[] {
  const out: string[] = [];
  for (let p = 1; p <= 40; p++) {
    for (let item = 0; item < 1 + (p % 3); item++) {
      out.push(`T${p},${USER(p)},2026-01-01T08:00:00Z,${SKU},${item + 1},2.50`);
    }
  }
  return out;
}

let dir: string;
let clean: string;
let lateError: string;
let apart: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'import-streamed-'));
  clean = join(dir, 'clean.csv');
  lateError = join(dir, 'late-error.csv');
  apart = join(dir, 'apart.csv');
  const rows = lines();
  await writeFile(clean, [HEADER, ...rows].join('\n'));
  await writeFile(
    lateError,
    [HEADER, ...rows, `T99,${USER(1)},yesterday,${SKU},1,2.50`].join('\n'),
  );
  // T1 again at the end: its purchase was handed out without this item.
  await writeFile(
    apart,
    [HEADER, ...rows, `T1,${USER(1)},2026-01-01T08:00:00Z,${SKU},1,1.00`].join('\n'),
  );
});
afterAll(async () => {
  await disposeParseWorkers();
  await rm(dir, { recursive: true, force: true });
});

const known: ReferenceCheck = { unknownUserIds: [], unknownSkuIds: [], existingTransactions: [] };
const OPEN_ID = '21111111-2222-4333-8444-555555555555';
const USUAL_ID = '31111111-2222-4333-8444-555555555555';

interface Options {
  reference?: ReferenceCheck;
  /** Refuse this chunk number when staged into the open batch. */
  refuseOpenChunk?: number;
  discard?: 'ok' | 'refused';
}

function answers(options: Options = {}): FakeAnswers {
  return {
    import_check_references: () => options.reference ?? known,
    import_begin_batch: (args) =>
      batchSummarySchema.parse(
        args.p_total_rows === null
          ? batchDetail({ id: OPEN_ID, status: 'pending', stagedRows: 0, totalRows: 0, open: true })
          : batchDetail({
              id: USUAL_ID,
              status: 'pending',
              stagedRows: 0,
              totalRows: args.p_total_rows,
            }),
      ),
    import_stage_chunk: (args) => {
      if (args.p_batch_id === OPEN_ID && args.p_chunk_no === options.refuseOpenChunk) {
        throw new RpcError('refused', 'Chunk refused', { code: '22P02' });
      }
      const rows = stagedRowsOf(args.p_rows).length;
      return {
        batchId: args.p_batch_id,
        chunkNo: args.p_chunk_no,
        rowCount: rows,
        duplicate: false,
        stagedRows: rows,
      };
    },
    import_seal_batch: (args) =>
      batchSummarySchema.parse(
        batchDetail({
          id: args.p_batch_id,
          status: 'pending',
          totalRows: args.p_total_rows,
          stagedRows: args.p_total_rows,
        }),
      ),
    import_discard_batch: (args) => {
      if (options.discard === 'refused') throw new RpcError('refused', 'not yours');
      return { discarded: true, batchId: args.p_batch_id };
    },
    import_commit_batch: (args) => batchDetail({ id: args.p_batch_id, status: 'completed' }),
  };
}

/** The input of an import staged while read, chunks of CHUNK_ROWS. */
const streamed = (path: string) => ({
  path,
  merchantId: MERCHANT,
  stream: true,
  chunkRows: CHUNK_ROWS,
});
const fns = (rpc: FakeRpc) => rpc.calls.map((c) => c.fn);
const argsOf = <F extends keyof RpcArgs>(rpc: FakeRpc, fn: F): RpcArgs[F][] =>
  rpc.calls.filter((c) => c.fn === fn).map((c) => c.args as RpcArgs[F]);

async function expectedChunks(path: string): Promise<StagedChunk[]> {
  const { report } = await parseCsvFile(path, {});
  const chunks = PurchaseList.fromArray(report.purchases).chunks(CHUNK_ROWS);
  return Array.from({ length: chunks.length }, (_, k) => toStagedChunk(chunks.at(k)));
}

describe('importFile staging while the file is read', () => {
  it('stages the worker chunks into an open batch, seals it with the totals and hash, then commits', async () => {
    const rpc = fakeRpc(answers());
    const outcome = await importFile(rpc, streamed(clean));
    expect(outcome.kind).toBe('batch');
    const calls = fns(rpc);
    // Begun open as soon as the first chunk came, before the file's check was asked.
    expect(calls.indexOf('import_begin_batch')).toBeLessThan(
      calls.indexOf('import_check_references'),
    );
    expect(argsOf(rpc, 'import_begin_batch')).toEqual([
      expect.objectContaining({
        p_total_rows: null,
        p_chunk_count: null,
        p_file_name: 'clean.csv',
      }),
    ]);
    const expected = await expectedChunks(clean);
    const staged = argsOf(rpc, 'import_stage_chunk').sort((a, b) => a.p_chunk_no - b.p_chunk_no);
    expect(staged.map((s) => s.p_batch_id)).toEqual(expected.map(() => OPEN_ID));
    expect(staged.map((s) => s.p_rows)).toEqual(expected);
    expect(argsOf(rpc, 'import_seal_batch')).toEqual([
      {
        p_batch_id: OPEN_ID,
        p_total_rows: 80,
        p_chunk_count: expected.length,
        p_file_sha256: outcome.checked.localReport.fileSha256,
      },
    ]);
    expect(outcome.checked.localReport.fileSha256).toMatch(/^[0-9a-f]{64}$/);
    // Sealed after the last chunk was staged, committed after the seal, nothing discarded.
    expect(calls.lastIndexOf('import_stage_chunk')).toBeLessThan(
      calls.indexOf('import_seal_batch'),
    );
    expect(calls.slice(-2)).toEqual(['import_seal_batch', 'import_commit_batch']);
    expect(argsOf(rpc, 'import_commit_batch')).toEqual([{ p_batch_id: OPEN_ID }]);
    expect(calls).not.toContain('import_discard_batch');
  });

  it('discards what it staged when the file turns out refused on its own rows', async () => {
    const rpc = fakeRpc(answers());
    const outcome = await importFile(rpc, streamed(lateError));
    expect(outcome.kind).toBe('refused-locally');
    expect(fns(rpc)).toContain('import_stage_chunk');
    expect(argsOf(rpc, 'import_discard_batch')).toEqual([{ p_batch_id: OPEN_ID }]);
    expect(fns(rpc)).not.toContain('import_seal_batch');
    expect(fns(rpc)).not.toContain('import_commit_batch');
    // Nothing is sent after the discard.
    expect(fns(rpc).at(-1)).toBe('import_discard_batch');
  });

  it('discards what it staged for a file of another merchant, unless told to record it', async () => {
    const foreign = { ...known, unknownUserIds: Array.from({ length: 7 }, (_, i) => USER(i)) };
    const rpc = fakeRpc(answers({ reference: foreign }));
    const outcome = await importFile(rpc, streamed(clean));
    expect(outcome.kind).toBe('wrong-merchant');
    expect(argsOf(rpc, 'import_discard_batch')).toEqual([{ p_batch_id: OPEN_ID }]);
    expect(fns(rpc)).not.toContain('import_commit_batch');
  });

  it('falls back to the usual path when a transaction comes back after others (rows apart)', async () => {
    const rpc = fakeRpc(answers());
    const outcome = await importFile(rpc, { ...streamed(apart), idempotencyKey: 'key-1' });
    expect(outcome.kind).toBe('batch');
    expect(argsOf(rpc, 'import_discard_batch')).toEqual([{ p_batch_id: OPEN_ID }]);
    const begins = argsOf(rpc, 'import_begin_batch');
    expect(begins.map((b) => [b.p_total_rows, b.p_idempotency_key])).toEqual([
      [null, 'key-1'],
      [81, 'key-1'],
    ]);
    // The usual path staged the file's own chunks (T1 with its last item) and committed them.
    const usual = argsOf(rpc, 'import_stage_chunk').filter((s) => s.p_batch_id === USUAL_ID);
    expect(usual.map((s) => s.p_rows)).toEqual(await expectedChunks(apart));
    expect(argsOf(rpc, 'import_commit_batch')).toEqual([{ p_batch_id: USUAL_ID }]);
    expect(fns(rpc)).not.toContain('import_seal_batch');
  });

  it('falls back when the database refuses a chunk, and begins anew when the discard fails', async () => {
    const rpc = fakeRpc(answers({ refuseOpenChunk: 1, discard: 'refused' }));
    const outcome = await importFile(rpc, streamed(clean));
    expect(outcome.kind).toBe('batch');
    const begins = argsOf(rpc, 'import_begin_batch');
    expect(begins).toHaveLength(2);
    // The open batch keeps its key: the usual path's batch needs another one.
    expect(begins[1]?.p_idempotency_key).not.toBe(begins[0]?.p_idempotency_key);
    expect(argsOf(rpc, 'import_commit_batch')).toEqual([{ p_batch_id: USUAL_ID }]);
  });

  it('answers Cancel while chunks are still being sent: no more are sent, the batch is marked cancelled', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const base = answers();
    const rpc = fakeRpc({
      ...base,
      // The last chunk is slow to land (a slow link far behind the parse).
      import_stage_chunk: async (args) => {
        if (args.p_chunk_no === 7) await held;
        return (base.import_stage_chunk as NonNullable<FakeAnswers['import_stage_chunk']>)(args);
      },
      import_cancel_batch: (args) =>
        batchSummarySchema.parse(batchDetail({ id: args.p_batch_id, status: 'cancelled' })),
      import_get_batch: (args) => batchDetail({ id: args.p_batch_id, status: 'cancelled' }),
    });
    const controller = new AbortController();
    const outcome = await importFile(rpc, streamed(clean), {
      signal: controller.signal,
      onCommitProgress: ({ phase }) => {
        if (phase !== 'staging' || controller.signal.aborted) return;
        controller.abort();
        // The call in flight answers after the Cancel; nothing is sent after it.
        setTimeout(release, 20);
      },
    });
    expect(outcome).toMatchObject({
      kind: 'cancelled',
      batch: { id: OPEN_ID, status: 'cancelled' },
    });
    expect(argsOf(rpc, 'import_cancel_batch')).toEqual([{ p_batch_id: OPEN_ID }]);
    expect(fns(rpc)).not.toContain('import_seal_batch');
    expect(fns(rpc)).not.toContain('import_commit_batch');
    expect(fns(rpc).lastIndexOf('import_stage_chunk')).toBeLessThan(
      fns(rpc).indexOf('import_cancel_batch'),
    );
  });

  it('never streams with skipExisting, nor a small file unless asked', async () => {
    for (const input of [
      { stream: true, skipExisting: true },
      {}, // 80 rows: far under STREAM_MIN_BYTES
    ]) {
      const rpc = fakeRpc(answers());
      const outcome = await importFile(rpc, {
        path: clean,
        merchantId: MERCHANT,
        chunkRows: CHUNK_ROWS,
        ...input,
      });
      expect(outcome.kind).toBe('batch');
      expect(argsOf(rpc, 'import_begin_batch').map((b) => b.p_total_rows)).toEqual([80]);
      expect(fns(rpc).indexOf('import_check_references')).toBe(0);
    }
  });
});
