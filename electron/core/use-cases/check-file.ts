import type { ImportRpc } from '../../../shared/db/import-rpc';
import { PurchaseList } from '../../../shared/domain/purchase-list';
import {
  applyReferenceCheck,
  collectReferenceIds,
  type ReferenceIds,
} from '../../../shared/domain/reference-check';
import type {
  ImportReport,
  ParseOptions,
  Purchase,
  ReferenceCheck,
} from '../../../shared/domain/types';
import { parseCsvFile, type ParseFileResult } from '../parse/parse-file';
import { checkReferences } from './check-references';

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

export interface CheckFileHooks {
  onParseProgress?: (progress: ParseProgress) => void;
  signal?: AbortSignal;
  /**
   * The parse of this very file with input.parseOptions, when the caller started it already
   * (the CLI reads the file while it connects to the database): used instead of parsing again.
   * Its purchases may be left packed (an import staged while read makes no objects before its
   * commit).
   */
  parsed?: Promise<ParseFileResult<Purchase[] | PurchaseList>>;
}

export interface CheckedFile {
  /** The local report with the database's verdict on ids and transaction numbers applied. */
  report: ImportReport;
  /** Purchases that passed the local rules (before the reference check). */
  localReport: ImportReport;
  reference: ReferenceCheck;
}

/** Reads and validates a file, then asks the database about its ids: nothing is written. */
export async function checkFile(
  rpc: ImportRpc,
  input: CheckFileInput,
  hooks: CheckFileHooks = {},
): Promise<CheckedFile> {
  return withVerdict(await askAboutFile(rpc, input, hooks), input.skipExisting ?? false);
}

/** A parsed file, the ids it was asked about and the database's answer, not applied yet. */
export interface FileAnswer {
  /** Its purchases as the parse gave them: objects, or packed (see CheckFileHooks.parsed). */
  localReport: ImportReport<Purchase[] | PurchaseList>;
  ids: ReferenceIds;
  reference: ReferenceCheck;
}

/**
 * checkFile without applying the answer to the report: importFile applies it while the commit
 * call runs (20-35 ms of a 100k-row file that held up staging) and reuses the ids it asked about.
 */
export async function askAboutFile(
  rpc: ImportRpc,
  input: CheckFileInput,
  hooks: CheckFileHooks = {},
): Promise<FileAnswer> {
  const { report: localReport } = await (hooks.parsed ??
    parseCsvFile(input.path, input.parseOptions ?? {}, {
      ...(hooks.onParseProgress ? { onProgress: hooks.onParseProgress } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    }));
  const ids = collectReferenceIds(localReport);
  const reference = await checkReferences(rpc, input.merchantId, ids);
  return { localReport, ids, reference };
}

/** The database's answer applied to the file's report. */
export function withVerdict(answer: FileAnswer, skipExisting: boolean): CheckedFile {
  const parsed = answer.localReport;
  // The caller's own report when it holds objects (checkFile answers with the parse it was given).
  const localReport = withObjects(parsed)
    ? parsed
    : { ...parsed, purchases: objectsOf(parsed.purchases) };
  const report = applyReferenceCheck(localReport, answer.reference, { skipExisting });
  return { report, localReport, reference: answer.reference };
}

function withObjects(
  report: ImportReport<Purchase[] | PurchaseList>,
): report is ImportReport<Purchase[]> {
  return Array.isArray(report.purchases);
}

function objectsOf(purchases: Purchase[] | PurchaseList): Purchase[] {
  return purchases instanceof PurchaseList ? purchases.toArray() : purchases;
}
