import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { CommitProgress } from '../../../shared/db/commit-import';
import type { ImportRpc } from '../../../shared/db/import-rpc';
import type { BatchDetail } from '../../../shared/db/rpc-contract';
import { resolvedKeys } from '../../../shared/domain/natural-keys';
import { collectReferenceIds } from '../../../shared/domain/reference-check';
import { wrongMerchantSignal, type ForeignIds } from '../../../shared/domain/wrong-merchant';
import {
  checkFile,
  type CheckedFile,
  type CheckFileHooks,
  type CheckFileInput,
} from './check-file';
import { commitPurchases } from './commit-purchases';

export interface ImportFileInput extends CheckFileInput {
  name?: string | null;
  idempotencyKey?: string;
  chunkRows?: number;
  /** Record the batch as failed for support even when most ids are unknown to the merchant. */
  recordFailure?: boolean;
}

export interface ImportFileHooks extends CheckFileHooks {
  onCommitProgress?: (progress: CommitProgress) => void;
}

export type ImportOutcome =
  | { kind: 'refused-locally'; checked: CheckedFile }
  | { kind: 'wrong-merchant'; checked: CheckedFile; foreign: ForeignIds }
  | { kind: 'nothing-to-import'; checked: CheckedFile }
  | { kind: 'batch'; checked: CheckedFile; batch: BatchDetail }
  | { kind: 'cancelled'; checked: CheckedFile; batch: BatchDetail | null; message: string };

/**
 * Imports a file. Defects only the file can fix (format, cross-row rules) refuse it here and write
 * nothing. Everything else goes to the database, which re-checks ids and transaction numbers
 * under its lock: a refusal there is recorded as a failed batch that support can re-check and
 * retry later.
 */
export async function importFile(
  rpc: ImportRpc,
  input: ImportFileInput,
  hooks: ImportFileHooks = {},
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
  const outcome = await commitPurchases(
    rpc,
    {
      merchantId: input.merchantId,
      name: input.name ?? null,
      fileName: basename(input.path),
      fileSha256: checked.localReport.fileSha256,
      purchases,
      // Natural keys go with the ids the check resolved them to (the commit checks them again).
      keys: resolvedKeys(checked.reference),
      idempotencyKey: input.idempotencyKey ?? randomUUID(),
      ...(input.chunkRows ? { chunkRows: input.chunkRows } : {}),
    },
    {
      ...(hooks.onCommitProgress ? { onProgress: hooks.onCommitProgress } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    },
  );
  if (outcome.kind === 'cancelled') {
    return { kind: 'cancelled', checked, batch: outcome.batch, message: outcome.message };
  }
  return { kind: 'batch', checked, batch: outcome.batch };
}
