import { stat } from 'node:fs/promises';
import type { CommitProgress } from '../../shared/db/commit-import';
import type {
  BatchDetail,
  BatchSummary,
  ErrorCause,
  RecheckResult,
} from '../../shared/db/rpc-contract';
import { RpcError } from '../../shared/db/rpc-transport';
import { describeForeignIds } from '../../shared/domain/wrong-merchant';
import { presetForHeaders } from '../../shared/domain/mapping-presets';
import type { PurchaseList } from '../../shared/domain/purchase-list';
import type { Purchase, RowError } from '../../shared/domain/types';
import { defaultDataDir } from '../core/app-paths';
import type { DatabaseTarget, OpenDatabase } from '../core/connection';
import { ChunkFeed, streamChunkRowsFor } from '../core/parse/chunk-feed';
import {
  disposeParseWorkers,
  parseCsvFile,
  UnreadableFileError,
  type ParseFileResult,
  type ParseHooks,
  type ParseProgress as FileParseProgress,
} from '../core/parse/parse-file';
import type { CheckedFile, ParseProgress } from '../core/use-cases';
import { describeBatch } from '../core/use-cases/describe-batch';
import { parseCliArgs, parseOptionsOf, USAGE, UsageError, type CommandArgs } from './cli-args';
import { templateOptions } from './cli-template';
import { amount, count, plural, table, when } from './cli-format';
import { createProgressLine } from './progress-line';

export const EXIT = { ok: 0, refused: 1, usage: 2, system: 3 } as const;

let engine: Promise<typeof import('./cli-engine')> | null = null;
/** The connection, migrations and use cases: loaded once a command needs them (cli-engine.ts). */
function loadEngine(): Promise<typeof import('./cli-engine')> {
  engine ??= import('./cli-engine').catch((error: unknown) => {
    engine = null; // not kept: a later command in a running process (tests) may load it again
    // Said as what failed (exit 3, a system failure), not as a bare module-resolution error.
    throw new Error(
      `Could not load the command's database engine (pg, supabase-js, the use cases): ${messageOf(error)}`,
      { cause: error },
    );
  });
  return engine;
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stderrIsTty: boolean;
  env: NodeJS.ProcessEnv;
  /**
   * The process ends with this command (the purchase-import process; not a test or the bench's
   * long-lived probe): the parse worker is ended as soon as the file is read, while the command
   * goes on with the database, instead of kept idle for a next file and torn down at exit
   * (20-30 ms of the exit at 100k rows).
   */
  endsAfterCommand?: boolean;
}

/** Runs one command; returns the exit code. Never throws for a user's mistake. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: CommandArgs | 'help';
  try {
    args = parseCliArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`purchase-import: ${error.message}\n\n${USAGE}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  if (args === 'help') {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  const command = args;
  try {
    return await runCommand(command, io);
  } catch (error) {
    return reportFailure(error, command.json, io);
  }
}

async function runCommand(args: CommandArgs, io: CliIo): Promise<number> {
  if (args.command === 'migrate') {
    const target = resolveTarget(args.db, io.env);
    if (target.kind === 'sandbox') {
      // The sandbox migrates itself on open; opening it is the migration.
      const { openDatabase } = await loadEngine();
      const db = await openDatabase(target, { log: (line) => io.stderr(`${line}\n`) });
      await db.close();
      return printResult(
        io,
        args.json,
        { ok: true, applied: [] },
        'Sandbox database is up to date.',
      );
    }
    const { migrate } = await loadEngine();
    const { applied } = await migrate(target.url, {
      withReferenceSchema: args['with-reference-schema'],
      log: (line) => io.stderr(`${line}\n`),
    });
    return printResult(
      io,
      args.json,
      { ok: true, applied },
      applied.length ? `Applied ${applied.join(', ')}.` : 'Database is up to date.',
    );
  }

  const target: DatabaseTarget = resolveApiTarget(args, io.env);
  const fileBytes =
    args.command === 'check' || args.command === 'import' ? await assertReadableFile(args.file) : 0;
  // A check or an import reads its file while this thread connects and asks about the merchant
  // (the parse runs in the worker); its result, or its error, is taken only where the use case
  // would have started it, so what is printed, and in which order, stays the same.
  const early =
    args.command === 'check' || args.command === 'import'
      ? startParse(args, io.endsAfterCommand === true, fileBytes)
      : null;
  // A command that fails before its use case took the parse stops it (a no-op once it is done).
  const stopEarly = (): void => early?.cancel();
  const db = await openDatabaseOrFail(target, io).catch((error: unknown) => {
    stopEarly();
    throw error;
  });
  try {
    if ('merchant' in args && typeof args.merchant === 'string') {
      await assertMerchant(db, args.merchant);
    }
    switch (args.command) {
      case 'check':
        return await runCheck(db, args, io, early);
      case 'import':
        return await runImport(db, args, io, early);
      case 'batches':
        return await runBatches(db, args, io);
      case 'batch':
        return await runBatch(db, args, io);
      case 'recheck':
        return await runRecheck(db, args, io);
      case 'retry':
        return await runRetry(db, args, io);
      case 'cancel':
        return await runCancel(db, args, io);
    }
  } finally {
    stopEarly();
    await db.close();
  }
}

/** A parse started before the use case needs it; its progress is held until it is taken. */
interface EarlyParse {
  result: Promise<ParseFileResult<Purchase[] | PurchaseList>>;
  /** Where progress goes from now on; the latest one held so far is passed on at once. */
  follow(onProgress: (progress: FileParseProgress) => void): void;
  /** Stops the parse if it is still running (the command failed before the check). */
  cancel(): void;
  /** An import's chunks, handed out as the file is read (staged once connected): see importFile. */
  chunks: ChunkFeed | null;
}

function startParse(args: FileArgs, lastParse: boolean, fileBytes: number): EarlyParse {
  const controller = new AbortController();
  let latest: FileParseProgress | null = null;
  let listener: ((progress: FileParseProgress) => void) | null = null;
  const streamChunkRows =
    args.command === 'import'
      ? streamChunkRowsFor({ skipExisting: args['skip-existing'], ...chunkRowsOf(args) }, fileBytes)
      : null;
  const chunks = streamChunkRows === null ? null : new ChunkFeed();
  const { parseOptions } = fileInput(args);
  const hooks: ParseHooks = {
    signal: controller.signal,
    ...(chunks && streamChunkRows !== null ? { streamChunkRows, onChunk: chunks.push } : {}),
    onProgress: (progress) => {
      if (listener) listener(progress);
      else latest = progress;
    },
  };
  // Staged while read, the purchases stay packed: nothing needs them as objects before the commit.
  const result: Promise<ParseFileResult<Purchase[] | PurchaseList>> = chunks
    ? parseCsvFile(args.file, { ...parseOptions, purchases: 'packed' }, hooks)
    : parseCsvFile(args.file, parseOptions, hooks);
  // Awaited by the check; until then a failure must not count as unhandled.
  result.catch(() => undefined);
  // A failed parse has ended its worker already; a finished one left it idle for a next file.
  if (lastParse) void result.then(() => disposeParseWorkers()).catch(() => undefined);
  return {
    result,
    follow(onProgress) {
      listener = onProgress;
      if (latest) onProgress(latest);
      latest = null;
    },
    cancel: () => controller.abort(),
    chunks,
  };
}

type FileArgs = Extract<CommandArgs, { command: 'check' | 'import' }>;

async function runCheck(
  db: OpenDatabase,
  args: Extract<CommandArgs, { command: 'check' }>,
  io: CliIo,
  early: EarlyParse | null,
): Promise<number> {
  const { checkFile } = await loadEngine();
  const progress = createProgressLine(io);
  const onParseProgress = (p: ParseProgress): void =>
    progress.update(parseLabel(p), p.bytesRead / Math.max(p.totalBytes, 1));
  early?.follow(onParseProgress);
  const checked = await checkFile(db.rpc, fileInput(args), {
    onParseProgress,
    ...(early ? { parsed: early.result } : {}),
  });
  progress.done();
  const body = checkBody(checked);
  if (args.json) io.stdout(`${JSON.stringify(body)}\n`);
  else io.stdout(describeCheck(checked));
  return body.ok ? EXIT.ok : EXIT.refused;
}

async function runImport(
  db: OpenDatabase,
  args: Extract<CommandArgs, { command: 'import' }>,
  io: CliIo,
  early: EarlyParse | null,
): Promise<number> {
  const { importFile } = await loadEngine();
  const progress = createProgressLine(io);
  const onParseProgress = (p: ParseProgress): void =>
    progress.update(parseLabel(p), p.bytesRead / Math.max(p.totalBytes, 1));
  early?.follow(onParseProgress);
  const outcome = await importFile(
    db.rpc,
    {
      ...fileInput(args),
      name: args.name ?? null,
      recordFailure: args['record-failure'],
      ...chunkRowsOf(args),
    },
    {
      onParseProgress,
      onCommitProgress: (p) => progress.update(commitLabel(p), commitFraction(p)),
      ...(early ? { parsed: early.result } : {}),
      ...(early?.chunks ? { chunks: early.chunks } : {}),
    },
  );
  progress.done();
  const base = checkBody(outcome.checked);
  const noBatch = { batchId: null, status: null, importedPurchases: 0, importedItems: 0 };
  if (outcome.kind === 'refused-locally') {
    const body = { ...base, ok: false, ...noBatch };
    if (args.json) io.stdout(`${JSON.stringify(body)}\n`);
    else {
      io.stdout(describeCheck(outcome.checked));
      io.stdout('Nothing was imported: fix the rows above in the file and run the import again.\n');
    }
    return EXIT.refused;
  }
  if (outcome.kind === 'wrong-merchant') {
    const sentence = describeForeignIds(
      outcome.foreign,
      (await merchantName(db, args.merchant)) ?? `merchant ${args.merchant}`,
    );
    const body = {
      ...base,
      ok: false,
      wrongMerchant: { ...outcome.foreign, message: sentence },
      ...noBatch,
    };
    if (args.json) io.stdout(`${JSON.stringify(body)}\n`);
    else {
      io.stdout(fileLine(outcome.checked, 'file'));
      io.stdout(
        `${sentence}\nNothing was written. Choose the merchant the file was exported for; or, to ` +
          'record it as a failed batch for support anyway, run the import again with --record-failure.\n',
      );
    }
    return EXIT.refused;
  }
  if (outcome.kind === 'nothing-to-import') {
    const body = { ...base, ...noBatch };
    if (args.json) io.stdout(`${JSON.stringify(body)}\n`);
    else {
      io.stdout(describeCheck(outcome.checked));
      io.stdout('Nothing to import: every transaction in the file is already in the database.\n');
    }
    return base.ok ? EXIT.ok : EXIT.refused;
  }
  if (outcome.kind === 'cancelled') {
    // Not reached from the terminal today (nothing cancels a CLI import but the process ending).
    const body = { ...base, ok: false, ...noBatch, batchId: outcome.batch?.id ?? null };
    io.stdout(args.json ? `${JSON.stringify(body)}\n` : `${outcome.message}\n`);
    return EXIT.refused;
  }
  const { batch } = outcome;
  const ok = batch.status === 'completed';
  const errors = ok ? base.errors : mergeErrors(base.errors, batch.errors);
  const body = {
    ...base,
    ok,
    // The file's own errors and the first page of the database's (errorTotal counts them all).
    errors,
    errorSummary: batch.errorSummary,
    errorTotal: batch.errorCount,
    batchId: batch.id,
    status: batch.status,
    importedPurchases: batch.importedPurchases,
    importedItems: batch.importedItems,
    errorMessage: batch.errorMessage,
  };
  if (args.json) io.stdout(`${JSON.stringify(body)}\n`);
  else {
    io.stdout(ok ? describeCheck(outcome.checked) : fileLine(outcome.checked, 'file'));
    if (!ok) {
      io.stdout(formatCauses(batch.errorSummary));
      io.stdout(
        formatErrorPage(batch.errors, batch.errorsOffset, batch.errorCount, `batch ${batch.id}`),
      );
    }
    io.stdout(
      `${describeBatch(batch)}\n` +
        (ok
          ? ''
          : `The batch ${batch.id} is recorded as failed; after fixing the data, run: purchase-import retry ${batch.id}\n`),
    );
  }
  return ok ? EXIT.ok : EXIT.refused;
}

async function runBatches(
  db: OpenDatabase,
  args: Extract<CommandArgs, { command: 'batches' }>,
  io: CliIo,
): Promise<number> {
  const { listBatches } = await loadEngine();
  const page = await listBatches(db.rpc, {
    merchantId: args.merchant,
    status: args.status ?? null,
    search: null,
    limit: args.limit,
    offset: 0,
  });
  if (args.json) {
    io.stdout(`${JSON.stringify({ batches: page.batches.map(batchJson), total: page.total })}\n`);
    return EXIT.ok;
  }
  if (page.batches.length === 0) {
    io.stdout('No batches yet for this merchant.\n');
    return EXIT.ok;
  }
  const rows = page.batches.map((b) => [
    b.id,
    b.status,
    count(b.importedPurchases),
    when(b.createdAt),
    b.name ?? b.fileName ?? '',
  ]);
  io.stdout(
    `${table(['ID', 'STATUS', 'PURCHASES', 'CREATED', 'NAME'], rows, [false, false, true])}\n` +
      `${count(page.batches.length)} of ${plural(page.total, 'batch', 'batches')}.\n`,
  );
  return EXIT.ok;
}

async function runBatch(
  db: OpenDatabase,
  args: Extract<CommandArgs, { command: 'batch' }>,
  io: CliIo,
): Promise<number> {
  const { exportBatchErrors, getBatch } = await loadEngine();
  const batch = await getBatch(db.rpc, args.id, {
    errorsLimit: args['errors-limit'],
    errorsOffset: args['errors-offset'],
  });
  // The same export as History's "Export errors": every row error, cells neutralised.
  const exported = args['errors-csv']
    ? {
        path: args['errors-csv'],
        rows: await exportBatchErrors(db.rpc, batch.id, args['errors-csv']),
      }
    : null;
  if (args.json) {
    io.stdout(
      `${JSON.stringify({ ...batchDetailJson(batch), ...(exported ? { exported } : {}) })}\n`,
    );
  } else {
    io.stdout(`${describeBatch(batch)}\n\n${batchDetails(batch)}`);
    if (exported) io.stdout(`Wrote ${plural(exported.rows, 'row error')} to ${exported.path}.\n`);
  }
  return EXIT.ok;
}

async function runRecheck(
  db: OpenDatabase,
  args: Extract<CommandArgs, { command: 'recheck' }>,
  io: CliIo,
): Promise<number> {
  const { recheckBatch } = await loadEngine();
  const result = await recheckBatch(db.rpc, args.id, {
    limit: args['errors-limit'],
    offset: args['errors-offset'],
  });
  const body = recheckJson(result);
  if (args.json) io.stdout(`${JSON.stringify(body)}\n`);
  else io.stdout(describeRecheck(result, args['errors-offset']));
  return result.ok ? EXIT.ok : EXIT.refused;
}

async function runRetry(
  db: OpenDatabase,
  args: Extract<CommandArgs, { command: 'retry' }>,
  io: CliIo,
): Promise<number> {
  const { retryBatch } = await loadEngine();
  const batch = await retryBatch(db.rpc, args.id);
  const ok = batch.status === 'completed';
  if (args.json) {
    io.stdout(
      `${JSON.stringify({
        ok,
        rows: batch.totalRows,
        errors: batch.errors,
        errorSummary: batch.errorSummary,
        errorTotal: batch.errorCount,
        batchId: batch.id,
        status: batch.status,
        importedPurchases: batch.importedPurchases,
        importedItems: batch.importedItems,
        errorMessage: batch.errorMessage,
      })}\n`,
    );
  } else {
    // The outcome first, in one sentence; the details after it.
    io.stdout(
      `${describeBatch(batch, 'retry')}\n` +
        (ok
          ? '\n'
          : `Fix the data it names below, then run: purchase-import recheck ${batch.id}\n\n`),
    );
    io.stdout(batchDetails(batch));
  }
  return ok ? EXIT.ok : EXIT.refused;
}

async function runCancel(
  db: OpenDatabase,
  args: Extract<CommandArgs, { command: 'cancel' }>,
  io: CliIo,
): Promise<number> {
  const { cancelBatch } = await loadEngine();
  const batch = await cancelBatch(db.rpc, args.id);
  const ok = batch.status === 'cancelled';
  if (args.json) {
    io.stdout(
      `${JSON.stringify({ ok, batchId: batch.id, status: batch.status, stagedRows: batch.stagedRows })}\n`,
    );
  } else {
    io.stdout(`${describeBatch(batch, 'cancel')}\n`);
  }
  return ok ? EXIT.ok : EXIT.refused;
}

/**
 * A mistyped --merchant would otherwise come back as thousands of "unknown user" errors: ask the
 * database which merchants this connection may use first, and say so in one sentence.
 */
async function assertMerchant(db: OpenDatabase, merchantId: string): Promise<void> {
  let merchants: { id: string; name: string }[];
  try {
    ({ merchants } = await db.rpc.call('import_list_merchants', {}));
  } catch {
    return; // an older database without the function: the import's own checks still apply
  }
  if (merchants.some((m) => m.id.toLowerCase() === merchantId.toLowerCase())) return;
  const known = merchants
    .slice(0, 5)
    .map((m) => `${m.name} (${m.id})`)
    .join(', ');
  throw new UsageError(
    `No merchant ${merchantId} in this database, or you are not an operator there. ` +
      (merchants.length === 0
        ? 'This connection cannot use any merchant.'
        : `Merchants you can use: ${known}${merchants.length > 5 ? `, and ${plural(merchants.length - 5, 'more')}` : ''}.`),
  );
}

function checkBody(checked: CheckedFile) {
  const { report, reference } = checked;
  return {
    ok: report.errors.length === 0,
    rows: report.summary.rows,
    purchases: report.summary.purchases,
    items: report.summary.items,
    // How the file was read: the sheet of a workbook (chosen or its only visible one) and the
    // workbook's sheets, or a CSV file's delimiter and encoding (null: the file had no header).
    source: report.settings?.source ?? null,
    errors: report.errors.map(plainError),
    warnings: report.warnings.map(plainError),
    unknownUserIds: reference.unknownUserIds,
    unknownSkuIds: reference.unknownSkuIds,
    existingTransactionNumbers: reference.existingTransactions.map((t) => t.transactionNumber),
  };
}

interface PlainError {
  row: number;
  column: string | null;
  code: string;
  message: string;
  value: string | null;
}

function plainError(error: RowError): PlainError {
  return {
    row: error.row,
    column: error.column,
    code: error.code,
    message: error.message,
    value: error.value,
  };
}

function mergeErrors(local: PlainError[], remote: BatchDetail['errors']): PlainError[] {
  const seen = new Set(local.map((e) => `${e.row}|${e.column}|${e.code}`));
  const merged: PlainError[] = [...local];
  for (const error of remote) {
    if (!seen.has(`${error.row}|${error.column}|${error.code}`)) merged.push(error);
  }
  return merged.sort((a, b) => a.row - b.row || (a.column ?? '').localeCompare(b.column ?? ''));
}

function batchJson(batch: BatchSummary) {
  return {
    id: batch.id,
    name: batch.name,
    status: batch.status,
    importedPurchases: batch.importedPurchases,
    importedItems: batch.importedItems,
    errorMessage: batch.errorMessage,
    createdAt: batch.createdAt,
    completedAt: batch.completedAt,
    fileName: batch.fileName,
    totalRows: batch.totalRows,
    errorCount: batch.errorCount,
    createdBy: batch.createdBy,
  };
}

/** A batch with its errors: the summary by cause, then one page of rows (errorsOffset on). */
function batchDetailJson(batch: BatchDetail) {
  return {
    ...batchJson(batch),
    errorSummary: batch.errorSummary,
    errorTotal: batch.errorCount,
    errorsOffset: batch.errorsOffset,
    errors: batch.errors,
  };
}

function recheckJson(result: RecheckResult) {
  return {
    ok: result.ok,
    batchId: result.batchId,
    summary: result.summary,
    causes: result.causes,
    resolved: result.resolved,
    errorTotal: result.errorTotal,
    errorRows: result.errorRows,
    errors: result.errors,
    unknownUserIds: result.unknownUserIds,
    unknownSkuIds: result.unknownSkuIds,
    existingTransactionNumbers: result.existingTransactions.map((t) => t.transactionNumber),
  };
}

const SHOWN_ERRORS = 50;

function formatErrors(errors: readonly { row: number; message: string }[]): string {
  if (errors.length === 0) return '';
  const shown = errors.slice(0, SHOWN_ERRORS).map((e) => `  row ${e.row}: ${e.message}`);
  const more =
    errors.length > SHOWN_ERRORS ? [`  … and ${count(errors.length - SHOWN_ERRORS)} more`] : [];
  return `${[...shown, ...more].join('\n')}\n`;
}

/** The file in one line: rows, purchases, items, total and the dates it covers. */
function fileLine(checked: CheckedFile, what: 'file' | 'ready' = 'ready'): string {
  const report = what === 'file' ? checked.localReport : checked.report;
  const s = report.summary;
  const range =
    s.firstPurchasedAt && s.lastPurchasedAt
      ? `, ${when(s.firstPurchasedAt)} to ${when(s.lastPurchasedAt)}`
      : '';
  const source = report.settings?.source;
  const sheet = source?.format === 'xlsx' ? ` (sheet "${source.sheet}")` : '';
  return `${report.fileName}${sheet}: ${plural(s.rows, 'row')}, ${plural(s.purchases, 'purchase')}, ${plural(s.items, 'item')}, total ${amount(s.totalAmountCents)}${range}\n`;
}

async function merchantName(db: OpenDatabase, merchantId: string): Promise<string | null> {
  const { merchants } = await db.rpc.call('import_list_merchants', {}).catch(() => ({
    merchants: [] as { id: string; name: string }[],
  }));
  return merchants.find((m) => m.id.toLowerCase() === merchantId.toLowerCase())?.name ?? null;
}

const SHOWN_IGNORED = 8;

/**
 * Warnings as lines, the columns simply not imported folded into one: a shop export has dozens
 * (addresses, statuses…), and a line each buried what needed reading. A column with a hint (did
 * you mean…, ambiguous) keeps its own line.
 */
function warningLines(warnings: readonly RowError[]): { row: number; message: string }[] {
  const isPlainIgnored = (w: RowError): boolean =>
    w.code === 'unknown_column' && !/did you mean|ambiguous|no header/.test(w.message);
  const ignored = warnings.filter(isPlainIgnored).map((w) => `"${w.value}"`);
  const lines = warnings
    .filter((w) => !isPlainIgnored(w))
    .map((w) => ({ row: w.row, message: `warning: ${w.message}` }));
  if (ignored.length === 0) return lines;
  const names =
    ignored.length > SHOWN_IGNORED
      ? `${ignored.slice(0, SHOWN_IGNORED).join(', ')} and ${count(ignored.length - SHOWN_IGNORED)} more (--json lists them)`
      : ignored.join(', ');
  const folded = {
    row: 1,
    message: `${plural(ignored.length, 'column')} not imported: ${names}`,
  };
  return [folded, ...lines];
}

/** When required columns are missing and the headers are those of a known export. */
function presetHint(report: CheckedFile['report']): string {
  if (!report.errors.some((e) => e.code === 'missing_columns')) return '';
  const preset = presetForHeaders(report.headers);
  if (!preset) return '';
  const fill = preset.fillOrderFields ? ' --fill-order-fields' : '';
  return `This looks like a ${preset.name}: add --template ${preset.id}${fill}.\n`;
}

function describeCheck(checked: CheckedFile): string {
  const { report } = checked;
  const errors = mergeErrors(report.errors.map(plainError), []);
  return (
    fileLine(checked) +
    formatErrors(warningLines(report.warnings)) +
    formatErrors(errors) +
    presetHint(report) +
    (errors.length === 0 ? 'No errors.\n' : `${plural(errors.length, 'error')}.\n`)
  );
}

/** "sku_id ffff… unknown: 52,311 rows", a line per cause and its values that affect most rows. */
function formatCauses(causes: readonly ErrorCause[]): string {
  const lines: string[] = [];
  for (const cause of causes) {
    const what = CAUSE_WORDS[cause.code] ?? cause.code.replaceAll('_', ' ');
    lines.push(
      `  ${cause.column ?? 'batch'} ${what}: ${plural(cause.rows, 'row')}` +
        (cause.distinctValues > 1 ? `, ${count(cause.distinctValues)} different values` : ''),
    );
    const shown = cause.distinctValues > 1 ? cause.values.slice(0, 10) : [];
    for (const value of shown)
      lines.push(`    ${value.value ?? '(empty)'}: ${plural(value.rows, 'row')}`);
    if (cause.distinctValues > shown.length && shown.length > 0) {
      lines.push(`    … and ${count(cause.distinctValues - shown.length)} more values`);
    }
    if (cause.distinctValues <= 1) lines.push(`    ${cause.message}`);
  }
  return lines.length > 0 ? `Errors by cause:\n${lines.join('\n')}\n` : '';
}

const CAUSE_WORDS: Record<string, string> = {
  unknown_user: 'unknown to this merchant',
  unknown_sku: 'unknown to this merchant',
  already_imported: 'already imported',
  inconsistent_purchase: 'differs within a purchase',
  total_mismatch: 'does not match the items',
  out_of_range: 'out of range',
  invalid_currency: 'not a currency code',
  conflict: 'refused by the database',
};

/** The page of rows after the causes, saying which rows of how many and how to see more. */
function formatErrorPage(
  errors: readonly { row: number; message: string }[],
  offset: number,
  total: number,
  command: string,
): string {
  if (errors.length === 0) return '';
  const last = offset + errors.length;
  const more =
    last < total ? ` (next page: purchase-import ${command} --errors-offset ${last})` : '';
  return (
    `Row errors ${count(offset + 1)}–${count(last)} of ${count(total)}${more}:\n` +
    errors.map((e) => `  row ${e.row}: ${e.message}`).join('\n') +
    '\n'
  );
}

function describeRecheck(result: RecheckResult, offset: number): string {
  const resolved =
    result.resolved.length > 0
      ? `Resolved since the batch failed:\n${result.resolved
          .map((r) => `  ${r.column ?? 'batch'} ${r.value ?? ''}: ${plural(r.rows, 'row')}`)
          .join('\n')}\n`
      : '';
  if (result.ok) {
    return `${resolved}Batch ${result.batchId} passes against current data: run "purchase-import retry ${result.batchId}".\n`;
  }
  return (
    `Batch ${result.batchId} still fails: ${result.summary ?? plural(result.errorTotal, 'error')}.\n` +
    resolved +
    formatCauses(result.causes) +
    formatErrorPage(result.errors, offset, result.errorTotal, `recheck ${result.batchId}`)
  );
}

/** A batch's record after its summary sentence: status, counts, times, causes, a page of rows. */
function batchDetails(batch: BatchDetail): string {
  return (
    `Batch ${batch.id} (${batch.name ?? batch.fileName ?? 'unnamed'})\n` +
    `  status:    ${batch.status}\n` +
    `  rows:      ${count(batch.totalRows)}\n` +
    `  imported:  ${plural(batch.importedPurchases, 'purchase')}, ${plural(batch.importedItems, 'item')}\n` +
    `  created:   ${when(batch.createdAt)}${batch.createdBy ? ` by ${batch.createdBy}` : ''}\n` +
    (batch.completedAt ? `  finished:  ${when(batch.completedAt)}\n` : '') +
    (batch.errorMessage ? `  error:     ${batch.errorMessage}\n` : '') +
    formatCauses(batch.errorSummary) +
    formatErrorPage(batch.errors, batch.errorsOffset, batch.errorCount, `batch ${batch.id}`)
  );
}

function printResult(io: CliIo, json: boolean, body: object, text: string): number {
  io.stdout(json ? `${JSON.stringify(body)}\n` : `${text}\n`);
  return EXIT.ok;
}

function resolveTarget(
  db: string | undefined,
  env: NodeJS.ProcessEnv,
): Extract<DatabaseTarget, { kind: 'postgres' | 'sandbox' }> {
  const url = db ?? env['PURCHASE_IMPORT_DB'];
  if (url) return { kind: 'postgres', url };
  return { kind: 'sandbox', dataDir: defaultDataDir(env) };
}

/**
 * Flags first (--db or --supabase-url, not both), then PURCHASE_IMPORT_DB, then SUPABASE_URL,
 * then the sandbox. API keys and passwords come from the environment only, never from flags
 * (flags end up in shell history and process lists).
 */
function resolveApiTarget(
  args: Exclude<CommandArgs, { command: 'migrate' }>,
  env: NodeJS.ProcessEnv,
): DatabaseTarget {
  const flagUrl = args['supabase-url'];
  if (args.db && flagUrl) throw new UsageError('Give either --db or --supabase-url, not both.');
  if (args.db || (!flagUrl && env['PURCHASE_IMPORT_DB'])) return resolveTarget(args.db, env);
  const url = flagUrl ?? env['SUPABASE_URL'];
  if (!url) return resolveTarget(undefined, env);
  if (!/^https?:\/\/\S+$/.test(url)) {
    throw new UsageError('SUPABASE_URL must be an https:// project URL.');
  }
  const anonKey = env['SUPABASE_ANON_KEY'];
  const email = env['SUPABASE_EMAIL'];
  const password = env['SUPABASE_PASSWORD'];
  const serviceRoleKey = env['SUPABASE_SERVICE_ROLE_KEY'];
  // A user's account when one is given (least privilege), else the server key.
  if (email || password || !serviceRoleKey) {
    const missing = [
      ...(anonKey ? [] : ['SUPABASE_ANON_KEY']),
      ...(email ? [] : ['SUPABASE_EMAIL']),
      ...(password ? [] : ['SUPABASE_PASSWORD']),
    ];
    if (missing.length > 0 || !anonKey || !email || !password) {
      throw new UsageError(
        `Supabase needs ${missing.join(', ')} in the environment ` +
          '(or SUPABASE_SERVICE_ROLE_KEY for server automation).',
      );
    }
    return {
      kind: 'supabase',
      project: { url, anonKey },
      as: { kind: 'password', email, password },
    };
  }
  return {
    kind: 'supabase',
    project: { url, anonKey: anonKey ?? serviceRoleKey },
    as: { kind: 'service-role', serviceRoleKey },
  };
}

async function openDatabaseOrFail(target: DatabaseTarget, io: CliIo): Promise<OpenDatabase> {
  const { openDatabase } = await loadEngine();
  try {
    return await openDatabase(target, { log: (line) => io.stderr(`${line}\n`) });
  } catch (error) {
    if (target.kind === 'supabase') {
      // Only a Supabase sign-in fails this way (its module is loaded by then).
      const { AuthFailure } = await import('../core/auth/supabase-auth');
      if (error instanceof AuthFailure && error.kind !== 'unreachable') {
        throw new RpcError('permission', `Supabase sign-in failed: ${error.message}`, {
          cause: error,
        });
      }
    }
    throw new RpcError('unreachable', `Could not open the database: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

/** The file's size once it is known to be a readable file. */
async function assertReadableFile(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UsageError(`${path} is a folder, not a file: give the CSV file.`);
    return info.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(fileProblem(path, error));
  }
}

/** What went wrong with a file, in a sentence (never the raw ENOENT/EACCES text). */
function fileProblem(path: string, error: unknown): string {
  const code =
    error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : '';
  switch (code) {
    case 'ENOENT':
      return `No file at ${path}: check the name and the folder (the path is relative to ${process.cwd()}).`;
    case 'EACCES':
    case 'EPERM':
      return `Not allowed to read ${path}: check the file's permissions.`;
    case 'EISDIR':
      return `${path} is a folder, not a file: give the CSV file.`;
    default:
      return `Cannot read ${path}: ${messageOf(error)}`;
  }
}

function fileInput(args: FileArgs) {
  return {
    path: args.file,
    merchantId: args.merchant,
    parseOptions: { ...parseOptionsOf(args), ...templateOptions(args.template) },
    skipExisting: args['skip-existing'],
  };
}

function chunkRowsOf(args: FileArgs): { chunkRows?: number } {
  return args['chunk-rows'] ? { chunkRows: args['chunk-rows'] } : {};
}

function parseLabel(p: ParseProgress): string {
  return `reading ${plural(p.rows, 'row')}`;
}

function commitLabel(p: CommitProgress): string {
  if (p.phase === 'staging')
    return `staging ${count(p.rowsStaged)} of ${plural(p.totalRows, 'row')}`;
  if (p.phase === 'committing') return 'committing (one database transaction)';
  if (p.phase === 'beginning') return 'beginning the batch';
  if (p.phase === 'reconciling') return 'reconciling (reading the batch back)';
  return p.phase;
}

function commitFraction(p: CommitProgress): number {
  if (p.phase === 'staging') return p.rowsStaged / Math.max(p.totalRows, 1);
  return p.phase === 'done' ? 1 : 0.99;
}

function reportFailure(error: unknown, json: boolean, io: CliIo): number {
  let code: number = EXIT.system;
  let message = messageOf(error);
  if (error instanceof UsageError || error instanceof UnreadableFileError) code = EXIT.usage;
  else if (error instanceof RpcError) {
    if (error.kind === 'refused') code = EXIT.refused;
    if (error.kind === 'unreachable') message = `Database unreachable: ${message}`;
  } else if (isFileError(error)) {
    code = EXIT.usage;
    const path = error instanceof Error && 'path' in error ? String(error.path) : 'the file';
    message = fileProblem(path, error);
  }
  if (json) io.stdout(`${JSON.stringify({ ok: false, error: message, exitCode: code })}\n`);
  io.stderr(`purchase-import: ${message}\n`);
  if (io.env['PURCHASE_IMPORT_DEBUG'] && error instanceof Error && error.stack) {
    io.stderr(`${error.stack}\n`);
  }
  return code;
}

function isFileError(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    ['ENOENT', 'EACCES', 'EISDIR', 'EPERM'].includes(error.code)
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
