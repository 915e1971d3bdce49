import { describe, expect, it } from 'vitest';
import { batchSummarySchema, type StagedChunk } from '../../../shared/db/rpc-contract';
import { RpcError } from '../../../shared/db/rpc-transport';
import { StreamedStaging } from '../../../shared/db/streamed-staging';
import { batchDetail, fakeRpc } from './fake-rpc';

// StreamedStaging with paused: true (the app's session, issue 14): chunks the parse hands out
// while the file opens are held, and nothing reaches the database until resume() (the file opened
// and can be imported as read) or flush() (Import); a file let go before that sends nothing.

const OPEN_ID = '21111111-2222-4333-8444-555555555555';
const body = {} as StagedChunk;

function rpc() {
  return fakeRpc({
    import_begin_batch: () =>
      batchSummarySchema.parse(
        batchDetail({ id: OPEN_ID, status: 'pending', stagedRows: 0, totalRows: 0, open: true }),
      ),
    import_stage_chunk: (args) => ({
      batchId: args.p_batch_id,
      chunkNo: args.p_chunk_no,
      rowCount: 5,
      duplicate: false,
      stagedRows: 5,
    }),
    import_discard_batch: (args) => ({ discarded: true, batchId: args.p_batch_id }),
  });
}

function held(fake: ReturnType<typeof fakeRpc>): StreamedStaging {
  const staging = new StreamedStaging(fake, {
    merchantId: '99999999-2222-4333-8444-555555555555',
    name: null,
    fileName: 'f.csv',
    idempotencyKey: 'key-1',
    paused: true,
  });
  for (let chunkNo = 0; chunkNo < 3; chunkNo++) staging.push({ chunkNo, rows: 5, body });
  return staging;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('a paused StreamedStaging', () => {
  it('holds every chunk, begins nothing, until resume() sends them all', async () => {
    const fake = rpc();
    const staging = held(fake);
    await settle();
    expect(fake.calls).toEqual([]);
    expect(staging.hasChunks).toBe(true);
    staging.resume();
    await staging.flush();
    expect(fake.calls.map((c) => c.fn)).toEqual([
      'import_begin_batch',
      'import_stage_chunk',
      'import_stage_chunk',
      'import_stage_chunk',
    ]);
    expect(staging.state).toEqual({ chunksStaged: 3, rowsStaged: 15 });
  });

  it('sends what it holds when flushed', async () => {
    const fake = rpc();
    const staging = held(fake);
    await staging.flush();
    expect(staging.state.chunksStaged).toBe(3);
  });

  it('sends nothing at all when let go before it resumed', async () => {
    const fake = rpc();
    const staging = held(fake);
    expect(await staging.discard()).toBe(true);
    staging.resume();
    await settle();
    expect(fake.calls).toEqual([]);
  });

  it('reports a refused begin when flushed, and never leaves it unhandled meanwhile', async () => {
    const refusing = fakeRpc({
      import_begin_batch: () => {
        throw new RpcError('refused', 'no access to this merchant');
      },
    });
    const staging = held(refusing);
    staging.resume();
    // Nothing awaits the staging for a while (the file is still being read): a rejection left
    // unhandled here fails the run.
    await settle();
    await expect(staging.flush()).rejects.toThrow('no access to this merchant');
    expect(await staging.discard()).toBe(true);
  });
});
