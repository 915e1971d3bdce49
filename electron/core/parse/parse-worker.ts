import { parentPort } from 'node:worker_threads';
import { RecordAnalyser } from '../../../shared/domain/analyse';
import {
  packIssues,
  packRawRows,
  sliceTextTable,
  textTable,
  transferables,
} from '../../../shared/domain/packed-report';
import { sniffFile } from '../sources/sniff';
import { sourceFor } from '../sources/sources';
import { StagedChunkWriter } from './staged-chunk-writer';
import {
  nextRequestSchema,
  workerRequestSchema,
  type WorkerInput,
  type WorkerMessage,
} from './parse-file';

/**
 * Worker thread entry: the file's source (CSV, a workbook's sheet: chosen by sniffing its first
 * bytes) streams records into the analyser; progress and the final report go back to main.
 * The file is never held in memory whole.
 */

const PROGRESS_EVERY_MS = 100;
/** Raw rows per message to main (each message is deserialized on main in one piece). */
const ROWS_PER_PART = 50_000;

export function runParseJob(
  jobId: number,
  input: WorkerInput,
  post: (message: WorkerMessage, transfer?: ArrayBuffer[]) => void,
): void {
  const started = performance.now();
  const { streamChunkRows } = input;
  // Chunks go out as they are made, not through the outbox: each is small (~0.5 MB at 5,000
  // rows) and encoded here (toStagedChunk's text, written from the grouper's fields), so main
  // only passes the body on.
  const writer = streamChunkRows === undefined ? null : new StagedChunkWriter();
  const analyser = new RecordAnalyser(input.options, {
    fileName: input.fileName,
    keepRows: input.keepRows,
    ...(streamChunkRows === undefined || writer === null
      ? {}
      : {
          streamChunks: {
            maxRows: streamChunkRows,
            onChunk: (chunk) =>
              post({
                type: 'chunk',
                jobId,
                chunkNo: chunk.chunkNo,
                rows: chunk.rows,
                purchases: chunk.size,
                body: writer.write(chunk.columns()),
              }),
          },
        }),
  });
  let lastProgress = 0;
  let bytesRead = 0;
  const progress = (force: boolean, stage: 'reading' | 'analysing' = 'reading'): void => {
    const now = performance.now();
    if (!force && now - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = now;
    post({
      type: 'progress',
      jobId,
      stage,
      bytesRead,
      totalBytes: Math.max(input.totalBytes, bytesRead),
      // Data rows: the header is not a row the user counts ("1,000,001 rows" for 1M was wrong).
      rows: analyser.dataRowsRead,
    });
  };
  const read = async (): Promise<string> => {
    let sniffed;
    try {
      sniffed = await sniffFile(input.path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(
        `Cannot read "${input.path}": ${code === 'ENOENT' ? 'the file does not exist' : (error as Error).message}`,
      );
    }
    const result = await sourceFor(sniffed, input.path).read(
      { path: input.path, totalBytes: input.totalBytes, options: input.options, sniffed },
      {
        sink: analyser,
        progress: (bytes) => {
          bytesRead = bytes;
          progress(false);
        },
      },
    );
    bytesRead = result.bytesRead;
    return result.sha256;
  };
  read().then(
    (sha256) => {
      try {
        // Every byte is read; grouping and the report take seconds at 1M rows: say so.
        progress(true, 'analysing');
        // With streamChunkRows the last chunks are posted from here, before anything below.
        const {
          report,
          rawRows,
          packedPurchases: purchases,
          stream,
        } = analyser.finish(sha256, {
          packed: true,
        });
        const errors = packIssues(report.errors);
        const warnings = packIssues(report.warnings);
        // Raw rows go first, in parts: main deserializes each message in one go, and 1M rows
        // of cells in one message blocked main for seconds (issue 18). Main asks for each next
        // part once it has handled the last ('next'): parts queued on main's port would be
        // deserialized in one go again.
        const outbox: Outgoing[] = [];
        if (rawRows) {
          for (let from = 0; from < rawRows.length; from += ROWS_PER_PART) {
            const part = packRawRows(rawRows.slice(from, from + ROWS_PER_PART));
            outbox.push({
              message: { type: 'rows', jobId, rows: part },
              transfer: [
                part.rows.buffer,
                ...part.columns.flatMap((c) => [c.codes.buffer, c.values.ends.buffer]),
              ],
            });
          }
        }
        // The purchases' string table (ids, transaction numbers) too: ~1M strings at 1M rows.
        // Joined (TextTable): main keeps one string per part, not ~50k (issue 18).
        for (let from = 0; from < purchases.strings.ends.length; from += ROWS_PER_PART) {
          const strings = sliceTextTable(purchases.strings, from, from + ROWS_PER_PART);
          outbox.push({
            message: { type: 'strings', jobId, strings },
            transfer: [strings.ends.buffer],
          });
        }
        outbox.push({
          message: {
            type: 'done',
            jobId,
            report: { ...report, purchases: [], errors: [], warnings: [] },
            purchases: { ...purchases, strings: textTable([]) },
            errors,
            warnings,
            stats: {
              maxRssBytes: process.resourceUsage().maxRSS * 1024,
              parseMs: performance.now() - started,
            },
            ...(stream ? { stream } : {}),
          },
          transfer: transferables(purchases, [errors, warnings]),
        });
        outboxes.set(jobId, { post, messages: outbox });
        sendNext(jobId);
      } catch (error) {
        post({
          type: 'error',
          jobId,
          message: `Parsing "${input.path}" failed: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      // The sources' sentences about the file start so; anything else is a defect of ours.
      post({ type: 'error', jobId, message, unreadable: message.startsWith('Cannot read "') });
    },
  );
}

interface Outgoing {
  message: WorkerMessage;
  transfer: ArrayBuffer[];
}

/** A finished job's messages, sent one at a time as main asks for them. */
const outboxes = new Map<
  number,
  { post: (message: WorkerMessage, transfer?: ArrayBuffer[]) => void; messages: Outgoing[] }
>();

function sendNext(jobId: number): void {
  const box = outboxes.get(jobId);
  const next = box?.messages.shift();
  if (!box || !next) return;
  if (box.messages.length === 0) outboxes.delete(jobId);
  box.post(next.message, next.transfer);
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (raw: unknown) => {
    const next = nextRequestSchema.safeParse(raw);
    if (next.success) {
      sendNext(next.data.jobId);
      return;
    }
    const request = workerRequestSchema.safeParse(raw);
    if (request.success) {
      runParseJob(request.data.jobId, request.data.input, (message, transfer) =>
        port.postMessage(message, transfer ?? []),
      );
    } else {
      const jobId = (raw as { jobId?: unknown } | null)?.jobId;
      port.postMessage({
        type: 'error',
        jobId: typeof jobId === 'number' ? jobId : 0,
        message: `Parse worker got a bad request: ${request.error.message}`,
      } satisfies WorkerMessage);
    }
  });
}
