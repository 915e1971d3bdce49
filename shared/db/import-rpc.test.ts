import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createImportRpc } from './import-rpc';
import type { StagedRow } from './rpc-contract';
import { RpcError, type RpcTransport } from './rpc-transport';

// Exposes `gc` to contexts created from now on (as electron/main's release-memory does).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const BATCH = '00000000-0000-4000-8000-000000000001';

/** A transport whose answer waits until the test gives it; it keeps nothing of the call. */
function waitingTransport(): { transport: RpcTransport; answer: (value: unknown) => void } {
  let answer: (value: unknown) => void = () => undefined;
  const transport: RpcTransport = {
    label: 'waiting',
    call: () =>
      new Promise((resolve) => {
        answer = resolve;
      }),
    close: async () => undefined,
  };
  return { transport, answer: (value) => answer(value) };
}

function stagedRows(n: number): StagedRow[] {
  return Array.from({ length: n }, (_, i) => ({
    row: i + 2,
    transaction_number: `T-${i}`,
    user_id: '00000000-0000-4000-8000-000000000002',
    purchased_at: '2026-03-04T10:15:00.000Z',
    sku_id: '00000000-0000-4000-8000-000000000003',
    quantity: 1,
    unit_price: '1.00',
    currency: null,
    total_amount: '1.00',
    store_code: null,
    notes: null,
  }));
}

describe('createImportRpc', () => {
  it("lets go of a call's arguments while the answer is out (issue 18: a staged chunk's rows piled up in main)", async () => {
    const { transport, answer } = waitingTransport();
    const rpc = createImportRpc(transport);
    let rows: WeakRef<StagedRow[]> | null = null;
    const pending = (() => {
      const sent = stagedRows(5_000);
      rows = new WeakRef(sent);
      return rpc.call('import_stage_chunk', { p_batch_id: BATCH, p_chunk_no: 0, p_rows: sent });
    })();
    // A later turn: a WeakRef keeps its target through the turn that made it.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect((rows as WeakRef<StagedRow[]> | null)?.deref()).toBeUndefined();
    answer({ batchId: BATCH, chunkNo: 0, rowCount: 5_000, duplicate: false, stagedRows: 5_000 });
    await expect(pending).resolves.toMatchObject({ chunkNo: 0, stagedRows: 5_000 });
  });

  it('rejects, not throws, when the transport throws, and refuses a result it cannot read', async () => {
    const throwing: RpcTransport = {
      label: 'throwing',
      call: () => {
        throw new RpcError('unreachable', 'gone');
      },
      close: async () => undefined,
    };
    let answered: Promise<unknown> | null = null;
    expect(() => {
      answered = createImportRpc(throwing).call('import_cancel_batch', { p_batch_id: BATCH });
    }).not.toThrow();
    await expect(answered).rejects.toMatchObject({ kind: 'unreachable' });

    const { transport, answer } = waitingTransport();
    const pending = createImportRpc(transport).call('import_cancel_batch', { p_batch_id: BATCH });
    answer({ nonsense: true });
    await expect(pending).rejects.toMatchObject({ kind: 'refused', code: 'contract_mismatch' });
  });
});
