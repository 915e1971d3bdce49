import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { TextDecoder } from 'node:util';
import { parentPort } from 'node:worker_threads';
import Papa from 'papaparse';
import { papaConfig } from '../../../shared/csv/csv-parse';
import { CsvAnalyser } from '../../../shared/domain/analyse';
import type { FileEncoding } from '../../../shared/domain/types';
import { packIssues, packRawRows, transferables } from '../../../shared/domain/packed-report';
import {
  nextRequestSchema,
  workerRequestSchema,
  type WorkerInput,
  type WorkerMessage,
} from './parse-file';

/**
 * Worker thread entry: streams the file from disk through a decode-and-hash step into
 * papaparse, feeds each parsed chunk to the analyser, and posts progress and the final report.
 * The file is never held in memory as one string.
 */

const READ_CHUNK_BYTES = 1 << 20;
const PROGRESS_EVERY_MS = 100;
/** Raw rows per message to main (each message is deserialized on main in one piece). */
const ROWS_PER_PART = 50_000;

interface Decoder {
  write(bytes: Buffer): string;
  end(): string;
}

/**
 * Picks the decoder from the byte order mark; UTF-8 (with or without BOM) otherwise.
 * For UTF-8, StringDecoder keeps a character split across two reads intact and is ~2x faster
 * than TextDecoder here.
 */
function decoderFor(head: Buffer, chosen: FileEncoding | undefined): Decoder {
  // UTF-16 goes through TextDecoder: StringDecoder passes an unpaired surrogate through as is,
  // where TextDecoder gives U+FFFD, which the analyser refuses with its row.
  const utf16 =
    head[0] === 0xfe && head[1] === 0xff
      ? 'utf-16be'
      : head[0] === 0xff && head[1] === 0xfe
        ? 'utf-16le'
        : null;
  // A chosen encoding wins over the byte order mark (whose bytes it then reads as it says).
  const label = chosen && chosen !== 'utf-8' ? chosen : chosen ? null : utf16;
  if (label) {
    const text = new TextDecoder(label);
    return { write: (b) => text.decode(b, { stream: true }), end: () => text.decode() };
  }
  const decoder = new StringDecoder('utf8');
  return { write: (b) => decoder.write(b), end: () => decoder.end() };
}

/**
 * Bytes in, text out. Decoding here (not in papaparse, which calls Buffer#toString per chunk)
 * keeps a multi-byte character that straddles two reads intact, and hashes the exact bytes.
 * Invalid bytes become U+FFFD, which the analyser then refuses cell by cell with the row number.
 */
class DecodeAndHash extends Transform {
  readonly hash = createHash('sha256');
  bytesRead = 0;
  private decoder: Decoder | null = null;
  private atStart = true;
  private sawUndecodable = false;

  constructor(
    private readonly encoding: FileEncoding | undefined,
    private readonly onUndecodable: () => void,
    private readonly onBytes: () => void,
  ) {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytesRead += chunk.length;
    this.decoder ??= decoderFor(chunk, this.encoding);
    this.emitText(this.decoder.write(chunk));
    this.onBytes();
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.decoder) this.emitText(this.decoder.end());
    done();
  }

  private emitText(decoded: string): void {
    let text = decoded;
    if (this.atStart && text.length > 0) {
      this.atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // the byte order mark
    }
    if (text.length === 0) return;
    if (!this.sawUndecodable && text.includes('\ufffd')) {
      this.sawUndecodable = true;
      this.onUndecodable();
    }
    this.push(text);
  }
}

export function runParseJob(
  jobId: number,
  input: WorkerInput,
  post: (message: WorkerMessage, transfer?: ArrayBuffer[]) => void,
): void {
  const started = performance.now();
  const analyser = new CsvAnalyser(input.options, {
    fileName: input.fileName,
    keepRows: input.keepRows,
  });
  let lastProgress = 0;
  let failed = false;
  const fail = (message: string): void => {
    if (failed) return;
    failed = true;
    post({ type: 'error', jobId, message });
  };
  const progress = (force: boolean, stage: 'reading' | 'analysing' = 'reading'): void => {
    const now = performance.now();
    if (!force && now - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = now;
    post({
      type: 'progress',
      jobId,
      stage,
      bytesRead: decode.bytesRead,
      totalBytes: Math.max(input.totalBytes, decode.bytesRead),
      // Data rows: the header is not a row the user counts ("1,000,001 rows" for 1M was wrong).
      rows: analyser.dataRowsRead,
    });
  };
  const decode = new DecodeAndHash(
    input.options.encoding,
    () => analyser.markUndecodable(),
    () => progress(false),
  );
  const file = createReadStream(input.path, { highWaterMark: READ_CHUNK_BYTES });
  file.on('error', (error: NodeJS.ErrnoException) => {
    fail(
      `Cannot read "${input.path}": ${error.code === 'ENOENT' ? 'the file does not exist' : error.message}`,
    );
    decode.destroy();
  });
  file.pipe(decode);

  const config: Papa.ParseLocalConfig<string[], NodeJS.ReadableStream> = {
    ...papaConfig(input.options),
    chunk: (result) => {
      if (!failed) analyser.addChunk(result);
    },
    complete: () => {
      if (failed) return;
      try {
        // Every byte is read; grouping and the report take seconds at 1M rows: say so.
        progress(true, 'analysing');
        const {
          report,
          rawRows,
          packedPurchases: purchases,
        } = analyser.finish(decode.hash.digest('hex'), { packed: true });
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
              transfer: [part.rows.buffer],
            });
          }
        }
        // The purchases' string table (ids, transaction numbers) too: ~1M strings at 1M rows.
        for (let from = 0; from < purchases.strings.length; from += ROWS_PER_PART) {
          outbox.push({
            message: {
              type: 'strings',
              jobId,
              strings: purchases.strings.slice(from, from + ROWS_PER_PART),
            },
            transfer: [],
          });
        }
        outbox.push({
          message: {
            type: 'done',
            jobId,
            report: { ...report, purchases: [], errors: [], warnings: [] },
            purchases: { ...purchases, strings: [] },
            errors,
            warnings,
            stats: {
              maxRssBytes: process.resourceUsage().maxRSS * 1024,
              parseMs: performance.now() - started,
            },
          },
          transfer: transferables(purchases, [errors, warnings]),
        });
        outboxes.set(jobId, { post, messages: outbox });
        sendNext(jobId);
      } catch (error) {
        fail(
          `Parsing "${input.path}" failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    },
    error: (error) => fail(`Cannot read "${input.path}": ${error.message}`),
  };
  Papa.parse<string[], NodeJS.ReadableStream>(decode, config);
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
