import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { stagedChunkSchema, type StagedChunk } from '../../../shared/db/rpc-contract';
import { parseOptionsSchema } from '../../../shared/domain/parse-options';
import {
  joinTextTablesSteps,
  packedIssuesSchema,
  packedPurchasesSchema,
  packedRawRowsSchema,
  type PackedRawRows,
  type TextTable,
  textTableSchema,
  unpackIssues,
  unpackPurchasesSteps,
  unpackRawRows,
  unpackRawRowsSteps,
} from '../../../shared/domain/packed-report';
import { PurchaseList } from '../../../shared/domain/purchase-list';
import { RowStore } from '../../../shared/domain/row-store';
import { type Steps } from '../../../shared/domain/steps';
import { breathe, runSliced } from '../run-sliced';
import { PARSE_WORKER_LIMITS } from './worker-limits';
import { importReportSchema } from '../../../shared/domain/report-schema';
import type { ImportReport, ParseOptions, Purchase, RawRow } from '../../../shared/domain/types';

/**
 * Host side of the parse worker: the file is read, decoded, hashed, parsed and validated inside
 * a worker thread so a 100 MB file never blocks the main process; only the report comes back.
 * One worker per file, terminated afterwards, so the memory of a big parse goes back to the OS.
 */

export const workerInputSchema = z.object({
  path: z.string().min(1),
  fileName: z.string(),
  totalBytes: z.number().int().nonnegative(),
  options: parseOptionsSchema,
  keepRows: z.boolean(),
  /**
   * Hand out the chunks the commit would stage, at most this many rows each, while the file is
   * read ('chunk' messages; absent: none). Issue 14: staging overlapped with parsing.
   */
  streamChunkRows: z.number().int().positive().optional(),
});
export type WorkerInput = z.infer<typeof workerInputSchema>;

/** Host -> worker: one job at a time per worker. */
export const workerRequestSchema = z.object({
  type: z.literal('parse'),
  jobId: z.number().int(),
  input: workerInputSchema,
});
export type WorkerRequest = z.infer<typeof workerRequestSchema>;
/** Main is ready for the next part of a finished job's answer (see the worker's outbox). */
export const nextRequestSchema = z.object({ type: z.literal('next'), jobId: z.number().int() });

const progressMessageSchema = z.object({
  type: z.literal('progress'),
  jobId: z.number().int(),
  /** reading: bytes are still coming; analysing: all read, purchases grouped and checked. */
  stage: z.enum(['reading', 'analysing']),
  bytesRead: z.number().int().nonnegative(),
  totalBytes: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative(),
});

const statsSchema = z.object({
  /** process.resourceUsage().maxRSS in bytes, read in the worker when it finished (a worker
   *  shares the process, so this is the peak of the whole process so far). */
  maxRssBytes: z.number().nonnegative(),
  /** Time from the worker's first read to the finished report, in ms. */
  parseMs: z.number().nonnegative(),
});
export type ParseStats = z.infer<typeof statsSchema>;

/**
 * A chunk of whole purchases as the commit would stage it (toStagedChunk, encoded in the worker),
 * sent as soon as its purchases are complete, before 'done' and outside the outbox.
 */
const chunkMessageSchema = z.object({
  type: z.literal('chunk'),
  jobId: z.number().int(),
  /** 0, 1, 2… with no gaps. */
  chunkNo: z.number().int().nonnegative(),
  /** Items (staged rows) in the chunk. */
  rows: z.number().int().positive(),
  purchases: z.number().int().positive(),
  body: stagedChunkSchema,
});

const streamEndSchema = z.object({
  /** Chunks handed out (before the break, when broken). */
  chunks: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative(),
  /** Why no more chunks came (an error, rows of a transaction not adjacent, natural keys): the
   *  chunks handed out are then not the import's, which takes the normal path. Null: all came. */
  broken: z.string().nullable(),
});
export type StreamEnd = z.infer<typeof streamEndSchema>;

/** The report travels with purchases, issues and raw rows packed (see packed-report.ts). */
const doneMessageSchema = z.object({
  type: z.literal('done'),
  jobId: z.number().int(),
  report: importReportSchema.extend({
    purchases: z.tuple([]),
    errors: z.tuple([]),
    warnings: z.tuple([]),
  }),
  purchases: packedPurchasesSchema,
  errors: packedIssuesSchema,
  warnings: packedIssuesSchema,
  rawRows: packedRawRowsSchema.optional(),
  stats: statsSchema,
  /** With streamChunkRows: what the chunk messages handed out. */
  stream: streamEndSchema.optional(),
});

/** A part of the raw rows, sent before 'done' (see ROWS_PER_PART in the worker). */
const rowsMessageSchema = z.object({
  type: z.literal('rows'),
  jobId: z.number().int(),
  rows: packedRawRowsSchema,
});

/** A part of the purchases' string table, sent before 'done' (which then carries none). */
const stringsMessageSchema = z.object({
  type: z.literal('strings'),
  jobId: z.number().int(),
  strings: textTableSchema,
});

const errorMessageSchema = z.object({
  type: z.literal('error'),
  jobId: z.number().int(),
  message: z.string(),
  /** The file cannot be read as what it is (a broken workbook, a sheet to choose): the user's to fix. */
  unreadable: z.boolean().optional(),
});

/** The file itself cannot be read (its sentence says why): exit 2 on the command line. */
export class UnreadableFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableFileError';
  }
}

export const workerMessageSchema = z.discriminatedUnion('type', [
  progressMessageSchema,
  chunkMessageSchema,
  rowsMessageSchema,
  stringsMessageSchema,
  doneMessageSchema,
  errorMessageSchema,
]);
export type WorkerMessage = z.infer<typeof workerMessageSchema>;

export interface ParseProgress {
  stage: 'reading' | 'analysing';
  bytesRead: number;
  totalBytes: number;
  rows: number;
}

/** A chunk the parse handed out while reading (ParseHooks.onChunk). */
export interface StreamedChunk {
  chunkNo: number;
  rows: number;
  purchases: number;
  body: StagedChunk;
}

export interface ParseHooks {
  onProgress?: (progress: ParseProgress) => void;
  /**
   * Ask the worker for the commit's chunks of at most this many rows while it reads (each to
   * onChunk, all before the result); the result's `stream` says whether they all came.
   */
  streamChunkRows?: number;
  onChunk?: (chunk: StreamedChunk) => void;
  signal?: AbortSignal;
  /** The worker entry; defaults to parse-worker next to this file (.ts under tsx, .js built). */
  workerUrl?: URL;
}

/**
 * `P`: the report's purchases as objects, or with keepRows: 'packed' as the worker packed them
 * (a PurchaseList: the app's session keeps them so, issue 18).
 */
export interface ParseFileResult<P = Purchase[]> {
  report: ImportReport<P>;
  /** With keepRows: true, the rows as objects. */
  rawRows?: RawRow[];
  /** With keepRows: 'packed', the rows as the worker packed them (the app's session keeps these). */
  rows?: RowStore;
  stats: ParseStats;
  /** With hooks.streamChunkRows: the chunks handed out, and why they stopped early if they did. */
  stream?: StreamEnd;
}

/**
 * Whether the rows come back, and how: as RawRow objects, or packed in a RowStore with the
 * purchases left packed too (issue 18).
 */
export type KeepRows = boolean | 'packed';

const here = import.meta.url;
export const defaultWorkerUrl = new URL(
  here.endsWith('.ts') ? './parse-worker.ts' : './parse-worker.js',
  here,
);

/**
 * On Node 20 a worker does not inherit tsx's loader hooks, and `execArgv: ['--import', 'tsx']`
 * still fails with ERR_UNKNOWN_FILE_EXTENSION for a .ts entry (hooks registered by --import are
 * not active for the worker's entry module). A tiny JS entry that registers tsx through its API
 * and then imports the .ts file works on Node 20 and later.
 */
function spawnWorker(url: URL): Worker {
  let worker: Worker;
  if (url.pathname.endsWith('.ts')) {
    const tsxApi = import.meta.resolve('tsx/esm/api');
    const entry =
      `import(${JSON.stringify(tsxApi)})` +
      `.then((tsx) => { (tsx.register ?? tsx.default.register)(); return import(${JSON.stringify(url.href)}); })`;
    worker = new Worker(entry, { eval: true, resourceLimits: PARSE_WORKER_LIMITS });
  } else {
    worker = new Worker(url, { resourceLimits: PARSE_WORKER_LIMITS });
  }
  return watchWorker(worker);
}

/** Forgets the idle worker when it ends. */
function watchWorker(worker: Worker): Worker {
  worker.once('exit', () => {
    if (idle?.worker === worker) {
      clearTimeout(idle.timer);
      idle = null;
    }
  });
  return worker;
}

/**
 * One idle worker is kept for the next file: starting a worker (module loading, ~0.3 s, more
 * under tsx) and its cold JIT cost more than parsing 100k rows. It is unref'd so it never keeps
 * the process alive, and ended after IDLE_MS so the heap of a big parse is given back.
 */
const IDLE_MS = 15_000;
/**
 * A worker that read a big file is ended at once instead of kept: its heap (hundreds of MB after
 * 1M rows) is given back with it, and its start-up is nothing next to reading such a file.
 */
const KEEP_WORKER_MAX_BYTES = 32 * 1024 * 1024;
let idle: { worker: Worker; url: string; timer: ReturnType<typeof setTimeout> } | null = null;
let nextJobId = 1;

function acquireWorker(url: URL): Worker {
  if (idle && idle.url === url.href) {
    const { worker, timer } = idle;
    idle = null;
    clearTimeout(timer);
    worker.ref();
    return worker;
  }
  return spawnWorker(url);
}

function releaseWorker(worker: Worker, url: URL): void {
  if (idle) {
    // Keep the most recently used one: its URL is the one callers are using now.
    clearTimeout(idle.timer);
    void idle.worker.terminate();
    idle = null;
  }
  worker.unref();
  const timer = setTimeout(() => {
    if (idle?.worker === worker) idle = null;
    void worker.terminate();
  }, IDLE_MS);
  timer.unref();
  idle = { worker, url: url.href, timer };
}

/**
 * Starts the idle worker ahead of the first file (e.g. when the open dialog is shown), so
 * its module loading (~0.3 s) is not on the user's wait. `started`: a worker of workerUrl the
 * caller already started with PARSE_WORKER_LIMITS (the CLI starts one before loading this
 * module), kept as the idle one instead of starting another.
 */
export function prewarmParseWorker(workerUrl: URL = defaultWorkerUrl, started?: Worker): void {
  if (idle?.url === workerUrl.href) {
    if (started) void started.terminate();
    return;
  }
  releaseWorker(started ? watchWorker(started) : spawnWorker(workerUrl), workerUrl);
}

/** Ends the idle worker now (tests, app shutdown). */
export async function disposeParseWorkers(): Promise<void> {
  const current = idle;
  idle = null;
  if (current) {
    clearTimeout(current.timer);
    await current.worker.terminate();
  }
}

function readError(path: string, error: unknown): Error {
  const code = (error as { code?: string }).code;
  const reason =
    code === 'ENOENT'
      ? 'the file does not exist'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a folder, not a file'
          : error instanceof Error
            ? error.message
            : String(error);
  return new Error(`Cannot read "${path}": ${reason}`);
}

function abortError(path: string): DOMException {
  return new DOMException(`Parsing "${path}" was cancelled`, 'AbortError');
}

/**
 * The worker's answer unpacked on main in steps (issues, purchases, raw rows: up to ~0.6 s each
 * at 1M rows), the event loop served between them, so a window's IPC and a Cancel are answered
 * while a big file opens instead of after it.
 */
async function unpackDone(
  message: Extract<WorkerMessage, { type: 'done' }>,
  parts: { rows: readonly PackedRawRows[]; strings: readonly TextTable[] },
  path: string,
  signal: AbortSignal | undefined,
  keepRows: KeepRows,
  packedPurchases = false,
): Promise<ParseFileResult<Purchase[] | PurchaseList>> {
  const step = async <T>(work: () => T): Promise<T> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (signal?.aborted) throw abortError(path);
    return work();
  };
  const errors = await step(() => unpackIssues(message.errors));
  const warnings = await step(() => unpackIssues(message.warnings));
  // The big parts in slices (electron/core/run-sliced.ts): main serves its window in between.
  // Each starts on a turn of its own: awaiting the one before continues in the same turn, so
  // one's last slice and the next one's first made one turn (the joined texts' copy and the
  // row store's first arrays: a late turn of 84 ms in bench:ui, issue 18).
  const sliced = async <T>(steps: Steps<T>): Promise<T> => {
    await breathe();
    if (signal?.aborted) throw abortError(path);
    return runSliced(steps, signal ? { signal } : {});
  };
  const strings =
    parts.strings.length > 0
      ? await sliced(joinTextTablesSteps(parts.strings))
      : message.purchases.strings;
  const packed = { ...message.purchases, strings };
  if (keepRows === 'packed') {
    // Rows and purchases stay packed: no RawRow or Purchase objects on main's heap (issue 18).
    const all = message.rawRows ? [message.rawRows, ...parts.rows] : parts.rows;
    const rows = await sliced(RowStore.fromPackedSteps(all));
    const purchases = await step(() => PurchaseList.fromPacked(packed));
    return {
      report: { ...message.report, errors, warnings, purchases },
      rows,
      stats: message.stats,
      ...(message.stream ? { stream: message.stream } : {}),
    };
  }
  if (packedPurchases && keepRows === false) {
    return {
      report: { ...message.report, errors, warnings, purchases: PurchaseList.fromPacked(packed) },
      stats: message.stats,
      ...(message.stream ? { stream: message.stream } : {}),
    };
  }
  const purchases = await sliced(unpackPurchasesSteps(packed));
  const report = { ...message.report, errors, warnings, purchases };
  let rawRows: RawRow[] | undefined;
  if (message.rawRows) rawRows = await step(() => unpackRawRows(message.rawRows as PackedRawRows));
  for (const part of parts.rows) {
    const unpacked = await sliced(unpackRawRowsSteps(part));
    rawRows ??= [];
    for (const row of unpacked) rawRows.push(row);
  }
  // Asked for and none came (an empty file): an empty list, as the in-process door answers.
  if (keepRows) rawRows ??= [];
  return {
    report,
    ...(rawRows ? { rawRows } : {}),
    stats: message.stats,
    ...(message.stream ? { stream: message.stream } : {}),
  };
}

export function parseCsvFile(
  path: string,
  options: ParseOptions & { keepRows: 'packed' },
  hooks?: ParseHooks,
): Promise<ParseFileResult<PurchaseList>>;
/**
 * purchases: 'packed' without rows: the purchases left as the worker packed them, no Purchase
 * object made (an import staged while read needs none before its commit: see import-file.ts).
 */
export function parseCsvFile(
  path: string,
  options: ParseOptions & { keepRows?: false; purchases: 'packed' },
  hooks?: ParseHooks,
): Promise<ParseFileResult<PurchaseList>>;
export function parseCsvFile(
  path: string,
  options: ParseOptions & { keepRows?: boolean },
  hooks?: ParseHooks,
): Promise<ParseFileResult>;
export async function parseCsvFile(
  path: string,
  options: ParseOptions & { keepRows?: KeepRows; purchases?: 'packed' },
  hooks: ParseHooks = {},
): Promise<ParseFileResult<Purchase[] | PurchaseList>> {
  const { signal } = hooks;
  if (signal?.aborted) throw abortError(path);
  const { streamChunkRows } = hooks;
  if (
    streamChunkRows !== undefined &&
    !(Number.isInteger(streamChunkRows) && streamChunkRows > 0)
  ) {
    throw new RangeError(`streamChunkRows must be a positive integer, got ${streamChunkRows}`);
  }
  const { keepRows = false, purchases: purchasesShape, ...parseOptions } = options;
  const checked = parseOptionsSchema.safeParse(parseOptions);
  if (!checked.success) {
    throw new Error(`Invalid parse options: ${z.prettifyError(checked.error)}`);
  }
  let totalBytes: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    totalBytes = info.size;
  } catch (error) {
    throw readError(path, error);
  }
  if (signal?.aborted) throw abortError(path);

  const url = hooks.workerUrl ?? defaultWorkerUrl;
  const jobId = nextJobId++;
  const request: WorkerRequest = {
    type: 'parse',
    jobId,
    input: {
      path,
      fileName: basename(path),
      totalBytes,
      options: checked.data,
      keepRows: keepRows !== false,
      ...(streamChunkRows === undefined ? {} : { streamChunkRows }),
    },
  };
  const worker = acquireWorker(url);

  return new Promise<ParseFileResult<Purchase[] | PurchaseList>>((resolve, reject) => {
    const rowParts: PackedRawRows[] = [];
    // The next part on a fresh turn: whatever else main has to do runs in between.
    const askNext = (): void => {
      setImmediate(() => {
        if (!settled) worker.postMessage({ type: 'next', jobId });
      });
    };
    const stringParts: TextTable[] = [];
    let nextChunkNo = 0;
    let settled = false;
    /** `reusable`: kept as the idle worker; 'later': ended by `outcome` (see the done message). */
    const settle = (reusable: boolean | 'later', outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (reusable === true) releaseWorker(worker, url);
      else if (reusable === false) void worker.terminate();
      outcome();
    };
    const onAbort = (): void => settle(false, () => reject(abortError(path)));
    const onError = (error: Error): void => {
      settle(false, () => reject(new Error(`Parsing "${path}" failed: ${error.message}`)));
    };
    const onExit = (code: number): void => {
      settle(false, () =>
        reject(new Error(`Parsing "${path}" stopped unexpectedly (exit code ${code})`)),
      );
    };
    const onMessage = (raw: unknown): void => {
      const parsed = workerMessageSchema.safeParse(raw);
      if (!parsed.success) {
        settle(false, () =>
          reject(new Error(`Parse worker sent an unexpected message: ${parsed.error.message}`)),
        );
        return;
      }
      const message = parsed.data;
      if (message.jobId !== jobId) return;
      if (message.type === 'progress') {
        hooks.onProgress?.({
          stage: message.stage,
          bytesRead: message.bytesRead,
          totalBytes: message.totalBytes,
          rows: message.rows,
        });
      } else if (message.type === 'chunk') {
        if (message.chunkNo !== nextChunkNo) {
          settle(false, () =>
            reject(
              new Error(`Parse worker sent chunk ${message.chunkNo}, expected ${nextChunkNo}`),
            ),
          );
          return;
        }
        nextChunkNo++;
        try {
          hooks.onChunk?.({
            chunkNo: message.chunkNo,
            rows: message.rows,
            purchases: message.purchases,
            body: message.body,
          });
        } catch (error) {
          settle(false, () => reject(error as Error));
        }
      } else if (message.type === 'rows') {
        rowParts.push(message.rows);
        askNext();
      } else if (message.type === 'strings') {
        stringParts.push(message.strings);
        askNext();
      } else if (message.type === 'error') {
        const error = message.unreadable
          ? new UnreadableFileError(message.message)
          : new Error(message.message);
        settle(true, () => reject(error));
      } else {
        // The worker is free first; the unpacking that follows runs in steps. A worker that read
        // a big file is ended once main has unpacked its answer, not before: ending it gives back
        // its heap (200-400 ms of the worker thread at 1M rows), and beside main's unpacking that
        // came with turns 90-132 ms late with 0-10 ms of main's own CPU (issue 18, standalone
        // 1M-row opens).
        const keep = totalBytes <= KEEP_WORKER_MAX_BYTES;
        settle(keep || 'later', () => {
          const end = (): void => {
            if (!keep) void worker.terminate();
          };
          unpackDone(
            message,
            { rows: rowParts, strings: stringParts },
            path,
            signal,
            keepRows,
            purchasesShape === 'packed',
          ).then(
            (result) => {
              end();
              resolve(result);
            },
            (error: unknown) => {
              end();
              reject(error as Error);
            },
          );
        });
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(request);
  });
}
