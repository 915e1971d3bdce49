import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { CommitProgress } from '../../../shared/db/commit-import';
import type { ImportRpc } from '../../../shared/db/import-rpc';
import type { BatchDetail } from '../../../shared/db/rpc-contract';
import { resolvedKeys } from '../../../shared/domain/natural-keys';
import { wrongMerchantSignal, type ForeignIds } from '../../../shared/domain/wrong-merchant';
import {
  askAboutFile,
  withVerdict,
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
  const answer = await askAboutFile(rpc, input, hooks);
  const { localReport, reference } = answer;
  // The answer applied to the report, for the outcome. On the way to a batch it is worked out
  // while the commit call runs (the process only waits for the database then), not between the
  // check and staging; once, whichever comes first.
  let checked: CheckedFile | null = null;
  const verdict = (): CheckedFile => (checked ??= withVerdict(answer, input.skipExisting ?? false));
  if (localReport.errors.length > 0) return { kind: 'refused-locally', checked: verdict() };
  const foreign = wrongMerchantSignal(answer.ids, reference);
  if (foreign && !input.recordFailure) {
    return { kind: 'wrong-merchant', checked: verdict(), foreign };
  }

  const skipped = new Set(
    input.skipExisting
      ? reference.existingTransactions.map((existing) => existing.transactionNumber)
      : [],
  );
  const purchases = localReport.purchases.filter(
    (purchase) => !skipped.has(purchase.transactionNumber),
  );
  // Every transaction was skipped as already imported: an empty batch would only add noise.
  if (purchases.length === 0) return { kind: 'nothing-to-import', checked: verdict() };
  let whileCommitting: ReturnType<typeof setTimeout> | undefined;
  const onProgress = (progress: CommitProgress): void => {
    // A timer, so the commit call has gone out before the work starts.
    // Should it throw, the outcome's own call below throws again, where the caller sees it.
    if (progress.phase === 'committing') {
      whileCommitting ??= setTimeout(() => {
        try {
          verdict();
        } catch {
          // reported by the outcome's call
        }
      }, 0);
    }
    hooks.onCommitProgress?.(progress);
  };
  const outcome = await commitPurchases(
    rpc,
    {
      merchantId: input.merchantId,
      name: input.name ?? null,
      fileName: basename(input.path),
      fileSha256: localReport.fileSha256,
      purchases,
      // Natural keys go with the ids the check resolved them to (the commit checks them again).
      keys: resolvedKeys(reference),
      idempotencyKey: input.idempotencyKey ?? randomUUID(),
      ...(input.chunkRows ? { chunkRows: input.chunkRows } : {}),
    },
    {
      onProgress,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    },
  ).finally(() => clearTimeout(whileCommitting));
  if (outcome.kind === 'cancelled') {
    return {
      kind: 'cancelled',
      checked: verdict(),
      batch: outcome.batch,
      message: outcome.message,
    };
  }
  return { kind: 'batch', checked: verdict(), batch: outcome.batch };
}
