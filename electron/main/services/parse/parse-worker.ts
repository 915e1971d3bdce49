import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';
import { parentPort } from 'node:worker_threads';
import Papa from 'papaparse';
import { papaConfig } from '../../../../shared/csv/csv-parse';
import { CsvAnalyser } from '../../../../shared/domain/analyse';
import { packPurchases, packRawRows, transferables } from '../../../../shared/domain/packed-report';
import { workerRequestSchema, type WorkerInput, type WorkerMessage } from './parse-file';

/**
 * Worker thread entry: streams the file from disk through a decode-and-hash step into
 * papaparse, feeds each parsed chunk to the analyser, and posts progress and the final report.
 * The file is never held in memory as one string.
 */

const READ_CHUNK_BYTES = 1 << 20;
const PROGRESS_EVERY_MS = 100;

/** Picks the text encoding from the byte order mark; UTF-8 (with or without BOM) otherwise. */
function encodingOf(head: Uint8Array): 'utf-8' | 'utf-16le' | 'utf-16be' {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return 'utf-8';
}

/**
 * Bytes in, text out. Decoding here (not in papaparse, which calls Buffer#toString per chunk)
 * keeps a multi-byte character that straddles two reads intact, and hashes the exact bytes.
 * Invalid bytes become U+FFFD, which the analyser then refuses cell by cell with the row number.
 */
class DecodeAndHash extends Transform {
  readonly hash = createHash('sha256');
  bytesRead = 0;
  private decoder: TextDecoder | null = null;
  private sawUndecodable = false;

  constructor(
    private readonly onUndecodable: () => void,
    private readonly onBytes: () => void,
  ) {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytesRead += chunk.length;
    // TextDecoder drops the BOM itself (ignoreBOM defaults to false).
    this.decoder ??= new TextDecoder(encodingOf(chunk));
    this.emitText(this.decoder.decode(chunk, { stream: true }));
    this.onBytes();
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.decoder) this.emitText(this.decoder.decode());
    done();
  }

  private emitText(text: string): void {
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
  const progress = (force: boolean): void => {
    const now = performance.now();
    if (!force && now - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = now;
    post({
      type: 'progress',
      jobId,
      bytesRead: decode.bytesRead,
      totalBytes: Math.max(input.totalBytes, decode.bytesRead),
      rows: analyser.rowsRead,
    });
  };
  const decode = new DecodeAndHash(
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
        const { report, rawRows } = analyser.finish(decode.hash.digest('hex'));
        progress(true);
        const purchases = packPurchases(report.purchases);
        const packedRows = rawRows ? packRawRows(rawRows) : undefined;
        post(
          {
            type: 'done',
            jobId,
            report: { ...report, purchases: [] },
            purchases,
            ...(packedRows ? { rawRows: packedRows } : {}),
            stats: {
              maxRssBytes: process.resourceUsage().maxRSS * 1024,
              parseMs: performance.now() - started,
            },
          },
          transferables(purchases, packedRows),
        );
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

if (parentPort) {
  const port = parentPort;
  port.on('message', (raw: unknown) => {
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
