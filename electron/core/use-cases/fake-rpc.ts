import type { z } from 'zod';
import { createImportRpc, type ImportRpc } from '../../../shared/db/import-rpc';
import {
  type BatchDetail,
  type RpcArgs,
  type RpcContract,
  type RpcFunctionName,
} from '../../../shared/db/rpc-contract';
import type { RpcTransport } from '../../../shared/db/rpc-transport';

// For unit tests of the use cases: an ImportRpc whose answers the test gives per function, with
// every call recorded in order. Answers go through the contract's result schemas as real ones do
// (defaults filled in, a malformed answer refused); a function the test did not answer fails.

type Answer<F extends RpcFunctionName> = z.input<RpcContract[F]['result']>;

export type FakeAnswers = {
  [F in RpcFunctionName]?: (args: RpcArgs[F]) => Answer<F> | Promise<Answer<F>>;
};

export interface FakeRpc extends ImportRpc {
  calls: { fn: RpcFunctionName; args: unknown }[];
}

export function fakeRpc(answers: FakeAnswers): FakeRpc {
  const calls: FakeRpc['calls'] = [];
  const transport: RpcTransport = {
    label: 'fake',
    async call<F extends RpcFunctionName>(fn: F, args: RpcArgs[F]): Promise<unknown> {
      calls.push({ fn, args });
      const answer = answers[fn] as ((a: RpcArgs[F]) => unknown) | undefined;
      if (!answer) throw new Error(`unexpected call of ${fn}`);
      return answer(args);
    },
    close: () => Promise.resolve(),
  };
  return Object.assign(createImportRpc(transport), { calls });
}

/** A batch as import_get_batch answers it; override what the test is about. */
export function batchDetail(patch: Partial<BatchDetail> = {}): BatchDetail {
  return {
    id: '11111111-2222-4333-8444-555555555555',
    merchantId: '99999999-2222-4333-8444-555555555555',
    name: null,
    status: 'completed',
    fileName: 'f.csv',
    fileSha256: null,
    totalRows: 3,
    stagedRows: 3,
    importedPurchases: 2,
    importedItems: 3,
    errorMessage: null,
    errorCount: 0,
    createdBy: null,
    createdAt: '2026-01-01T08:00:00Z',
    startedAt: null,
    completedAt: null,
    audit: null,
    errorSummary: [],
    errors: [],
    errorsOffset: 0,
    ...patch,
  };
}
