import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import {
  commitImport,
  commitOrReconcile,
  type CommitProgress,
} from '../../shared/db/commit-import';
import type { ImportRpc } from '../../shared/db/import-rpc';
import type {
  BatchDetail,
  ErrorPage,
  RecheckResult,
  RemoteRowError,
} from '../../shared/db/rpc-contract';
import { applyReferenceCheck, collectReferenceIds } from '../../shared/domain/reference-check';
import type { ImportReport, ParseOptions, ReferenceCheck } from '../../shared/domain/types';
import { wrongMerchantSignal, type ForeignIds } from '../../shared/domain/wrong-merchant';
import { parseCsvFile } from './parse/parse-file';

// The engine's use cases, shared by the desktop app and the CLI: check a file, import it, and
// re-check or retry a batch. Files, workers and the database stay in the main process.

export interface ParseProgress {
  bytesRead: number;
  totalBytes: number;
  rows: number;
}

export interface CheckFileInput {
  path: string;
  merchantId: string;
  parseOptions?: ParseOptions;
  skipExisting?: boolean;
}

export interface CheckedFile {
  /** The local report with the database's verdict on ids and transaction numbers applied. */
  report: ImportReport;
  /** Purchases that passed the local rules (before the reference check). */
  localReport: ImportReport;
  reference: ReferenceCheck;
}

export interface ServiceHooks {
  onParseProgress?: (progress: ParseProgress) => void;
  onCommitProgress?: (progress: CommitProgress) => void;
  signal?: AbortSignal;
}

export async function checkFile(
  rpc: ImportRpc,
  input: CheckFileInput,
  hooks: ServiceHooks = {},
): Promise<CheckedFile> {
  const { report: localReport } = await parseCsvFile(input.path, input.parseOptions ?? {}, {
    ...(hooks.onParseProgress ? { onProgress: hooks.onParseProgress } : {}),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
  const ids = collectReferenceIds(localReport);
  const reference = await rpc.call('import_check_references', {
    p_merchant_id: input.merchantId,
    p_user_ids: ids.userIds,
    p_sku_ids: ids.skuIds,
    p_transaction_numbers: ids.transactionNumbers,
  });
  const report = applyReferenceCheck(localReport, reference, {
    skipExisting: input.skipExisting ?? false,
  });
  return { report, localReport, reference };
}

export interface ImportFileInput extends CheckFileInput {
  name?: string | null;
  idempotencyKey?: string;
  chunkRows?: number;
  /** Record the batch as failed for support even when most ids are unknown to the merchant. */
  recordFailure?: boolean;
}

export type ImportOutcome =
  | { kind: 'refused-locally'; checked: CheckedFile }
  | { kind: 'wrong-merchant'; checked: CheckedFile; foreign: ForeignIds }
  | { kind: 'nothing-to-import'; checked: CheckedFile }
  | { kind: 'batch'; checked: CheckedFile; batch: BatchDetail };

/**
 * Imports a file. Defects only the file can fix (format, cross-row rules) refuse it here and write
 * nothing. Everything else goes to the database, which re-checks ids and transaction numbers
 * under its lock: a refusal there is recorded as a failed batch that support can re-check and
 * retry later.
 */
export async function importFile(
  rpc: ImportRpc,
  input: ImportFileInput,
  hooks: ServiceHooks = {},
): Promise<ImportOutcome> {
  const checked = await checkFile(rpc, input, hooks);
  if (checked.localReport.errors.length > 0) return { kind: 'refused-locally', checked };
  const foreign = wrongMerchantSignal(collectReferenceIds(checked.localReport), checked.reference);
  if (foreign && !input.recordFailure) return { kind: 'wrong-merchant', checked, foreign };

  const skipped = new Set(
    input.skipExisting
      ? checked.reference.existingTransactions.map((existing) => existing.transactionNumber)
      : [],
  );
  const purchases = checked.localReport.purchases.filter(
    (purchase) => !skipped.has(purchase.transactionNumber),
  );
  // Every transaction was skipped as already imported: an empty batch would only add noise.
  if (purchases.length === 0) return { kind: 'nothing-to-import', checked };
  const batch = await commitImport(
    rpc,
    {
      merchantId: input.merchantId,
      name: input.name ?? null,
      fileName: basename(input.path),
      fileSha256: checked.localReport.fileSha256,
      purchases,
      idempotencyKey: input.idempotencyKey ?? randomUUID(),
      ...(input.chunkRows ? { chunkRows: input.chunkRows } : {}),
    },
    {
      ...(hooks.onCommitProgress ? { onProgress: hooks.onCommitProgress } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    },
  );
  return { kind: 'batch', checked, batch };
}

/** Every recorded row error of a batch, in row order, read a page at a time (keyset). */
export async function* batchErrors(
  rpc: ImportRpc,
  batchId: string,
  pageSize = 5_000,
): AsyncGenerator<RemoteRowError> {
  let after: ErrorPage['next'] = null;
  do {
    const page: ErrorPage = await rpc.call('import_list_batch_errors', {
      p_batch_id: batchId,
      p_code: null,
      p_value: null,
      p_after_row: after?.row ?? null,
      p_after_column: after?.column ?? null,
      p_limit: pageSize,
    });
    yield* page.errors;
    after = page.next;
  } while (after);
}

/** Today's verdict on a batch's staged rows: by cause, with one page of row errors. */
export function recheckBatch(
  rpc: ImportRpc,
  batchId: string,
  page: { limit: number; offset: number } = { limit: 50, offset: 0 },
): Promise<RecheckResult> {
  return rpc.call('import_recheck_batch', {
    p_batch_id: batchId,
    p_errors_limit: page.limit,
    p_errors_offset: page.offset,
  });
}

/** Retries a failed (or interrupted) batch from its staged rows; a completed one is left as is. */
export async function retryBatch(rpc: ImportRpc, batchId: string): Promise<BatchDetail> {
  const batch = await rpc.call('import_get_batch', { p_batch_id: batchId });
  if (batch.status === 'completed') return batch;
  return commitOrReconcile(rpc, batchId);
}
