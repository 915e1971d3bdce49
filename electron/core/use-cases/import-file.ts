import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { CommitProgress } from '../../../shared/db/commit-import';
import type { ImportRpc } from '../../../shared/db/import-rpc';
import type { BatchDetail } from '../../../shared/db/rpc-contract';
import { StreamedStaging } from '../../../shared/db/streamed-staging';
import { PurchaseList } from '../../../shared/domain/purchase-list';
import type { Purchase, ReferenceCheck } from '../../../shared/domain/types';
import { ChunkFeed, streamChunkRowsFor } from '../parse/chunk-feed';
import { parseCsvFile, type ParseFileResult } from '../parse/parse-file';
import { resolvedKeys } from '../../../shared/domain/natural-keys';
import { wrongMerchantSignal, type ForeignIds } from '../../../shared/domain/wrong-merchant';
import {
  askAboutFile,
  withVerdict,
  type FileAnswer,
  type CheckedFile,
  type CheckFileHooks,
  type CheckFileInput,
} from './check-file';
import { commitPurchases } from './commit-purchases';
import { commitStreamed } from './commit-streamed';

export interface ImportFileInput extends CheckFileInput {
  name?: string | null;
  idempotencyKey?: string;
  chunkRows?: number;
  /** Record the batch as failed for support even when most ids are unknown to the merchant. */
  recordFailure?: boolean;
  /**
   * Stage while the file is read (openStream, commitStreamed): left out, for files of
   * STREAM_MIN_BYTES or more; false never; true whatever the size (tests). Never with skipExisting.
   */
  stream?: boolean;
}

export interface ImportFileHooks extends CheckFileHooks {
  onCommitProgress?: (progress: CommitProgress) => void;
  /**
   * With `parsed`: the chunks that parse hands out as it reads (it was started with
   * streamChunkRows, see streamChunkRowsFor); importFile stages them as they come.
   */
  chunks?: ChunkFeed;
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
 *
 * A big file is staged while it is read (issue 14): the parse worker hands out chunks of whole
 * purchases as it goes and they are staged into an open batch, sealed once the file is read and
 * found importable, then committed; a file refused here discards that batch, so nothing stays.
 * Whenever the stream cannot stand for the file (rows of a transaction apart, members or SKUs by
 * natural key, a chunk the database refused), it is discarded and the file is imported the usual
 * way, from its parsed purchases.
 */
export async function importFile(
  rpc: ImportRpc,
  input: ImportFileInput,
  hooks: ImportFileHooks = {},
): Promise<ImportOutcome> {
  let idempotencyKey = input.idempotencyKey ?? randomUUID();
  const streamed = await openStream(rpc, input, hooks, idempotencyKey);
  const parsed = streamed?.parsed ?? hooks.parsed;
  let answer: FileAnswer;
  try {
    answer = await askAboutFile(rpc, input, { ...hooks, ...(parsed ? { parsed } : {}) });
  } catch (error) {
    await streamed?.staging.discard();
    throw error;
  }
  const { localReport, reference } = answer;
  // The answer applied to the report, for the outcome. On the way to a batch it is worked out
  // while the commit call runs (the process only waits for the database then), not between the
  // check and staging; once, whichever comes first.
  let checked: CheckedFile | null = null;
  const verdict = (): CheckedFile => (checked ??= withVerdict(answer, input.skipExisting ?? false));
  const refusal = refusedHere(answer, input, verdict);
  if (refusal) {
    await streamed?.staging.discard();
    return refusal;
  }

  const purchases = toImport(localReport.purchases, input.skipExisting ? reference : null);
  // Every transaction was skipped as already imported: an empty batch would only add noise.
  if (purchases.length === 0) {
    await streamed?.staging.discard();
    return { kind: 'nothing-to-import', checked: verdict() };
  }
  const whileCommitting = verdictWhileCommitting(verdict);
  if (streamed && parsed) {
    const read = await parsed;
    const landed = await commitStreamed(
      rpc,
      streamed.staging,
      {
        stream: read.stream,
        readPurchases: read.report.purchases.length,
        purchases,
        fileSha256: read.report.fileSha256,
      },
      {
        onCommitProgress: whileCommitting.wrap(hooks.onCommitProgress),
        ...(hooks.signal ? { signal: hooks.signal } : {}),
      },
    ).finally(whileCommitting.clear);
    if (landed.kind !== 'fell-back') return { ...landed, checked: verdict() };
    // A batch the discard could not remove keeps its key: the usual path begins another.
    if (!landed.discarded && input.idempotencyKey === undefined) idempotencyKey = randomUUID();
  }
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
      idempotencyKey,
      ...(input.chunkRows ? { chunkRows: input.chunkRows } : {}),
    },
    {
      onProgress: whileCommitting.wrap(hooks.onCommitProgress),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    },
  ).finally(whileCommitting.clear);
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

/**
 * The purchases to import: all of them, or (skipExisting) those whose transaction is not in the
 * database yet. Packed ones (staged while read) stay packed: no object is made before the commit.
 */
function toImport(
  purchases: Purchase[] | PurchaseList,
  skipExisting: ReferenceCheck | null,
): Purchase[] | PurchaseList {
  if (skipExisting === null) return purchases;
  const skipped = new Set(skipExisting.existingTransactions.map((e) => e.transactionNumber));
  const all = purchases instanceof PurchaseList ? purchases.toArray() : purchases;
  return all.filter((purchase) => !skipped.has(purchase.transactionNumber));
}

/** The outcomes decided before anything is written: the file's own defects, a wrong merchant. */
function refusedHere(
  answer: FileAnswer,
  input: ImportFileInput,
  verdict: () => CheckedFile,
): ImportOutcome | null {
  if (answer.localReport.errors.length > 0) return { kind: 'refused-locally', checked: verdict() };
  const foreign = wrongMerchantSignal(answer.ids, answer.reference);
  if (foreign && !input.recordFailure) {
    return { kind: 'wrong-merchant', checked: verdict(), foreign };
  }
  return null;
}

/**
 * Works the verdict out once the commit call has gone out (a timer after the 'committing'
 * progress), where the process only waits for the database.
 */
function verdictWhileCommitting(verdict: () => CheckedFile): {
  wrap: (
    onProgress: ((progress: CommitProgress) => void) | undefined,
  ) => (progress: CommitProgress) => void;
  clear: () => void;
} {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    wrap: (onProgress) => (progress) => {
      // Should it throw, the outcome's own call throws again, where the caller sees it.
      if (progress.phase === 'committing') {
        timer ??= setTimeout(() => {
          try {
            verdict();
          } catch {
            // reported by the outcome's call
          }
        }, 0);
      }
      onProgress?.(progress);
    },
    clear: () => clearTimeout(timer),
  };
}

interface OpenStream {
  staging: StreamedStaging;
  parsed: Promise<ParseFileResult<Purchase[] | PurchaseList>>;
}

/** Starts the parse handing out chunks, staged as they come; null when this import does not. */
async function openStream(
  rpc: ImportRpc,
  input: ImportFileInput,
  hooks: ImportFileHooks,
  idempotencyKey: string,
): Promise<OpenStream | null> {
  let feed: ChunkFeed;
  let parsed: Promise<ParseFileResult<Purchase[] | PurchaseList>>;
  if (hooks.parsed) {
    if (!hooks.chunks || input.skipExisting || input.stream === false) return null;
    feed = hooks.chunks;
    parsed = hooks.parsed;
  } else {
    const bytes = await stat(input.path).then(
      (info) => info.size,
      // Unreadable: the parse says why, the usual way.
      () => 0,
    );
    const chunkRows = streamChunkRowsFor(input, bytes);
    if (chunkRows === null) return null;
    const chunks = new ChunkFeed();
    feed = chunks;
    // Purchases left packed: nothing before the commit needs them as objects (the outcome's
    // report makes them while the commit runs: withVerdict).
    parsed = parseCsvFile(
      input.path,
      { ...input.parseOptions, purchases: 'packed' },
      {
        streamChunkRows: chunkRows,
        onChunk: chunks.push,
        ...(hooks.onParseProgress ? { onProgress: hooks.onParseProgress } : {}),
        ...(hooks.signal ? { signal: hooks.signal } : {}),
      },
    );
  }
  const staging = new StreamedStaging(rpc, {
    merchantId: input.merchantId,
    name: input.name ?? null,
    fileName: basename(input.path),
    idempotencyKey,
  });
  feed.follow((chunk) => staging.push(chunk));
  return { staging, parsed };
}
