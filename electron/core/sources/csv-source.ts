import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { TextDecoder } from 'node:util';
import Papa from 'papaparse';
import { papaConfig } from '../../../shared/csv/csv-parse';
import type { FileEncoding } from '../../../shared/domain/types';
import { CsvRecordReader } from '../../../shared/sources/csv-records';
import type { RecordSource, SourceReadResult } from './record-source';
import type { Sniffed } from './sniff';

/**
 * CSV as a record source: the file is streamed from disk through a decode-and-hash step into
 * papaparse; never held in memory as one string. Delimiter and encoding are this source's options.
 */

const READ_CHUNK_BYTES = 1 << 20;

interface Decoder {
  write(bytes: Buffer): string;
  end(): string;
}

/**
 * The chosen encoding, else the byte order mark's, else UTF-8. For UTF-8, StringDecoder keeps a
 * character split across two reads intact and is ~2x faster than TextDecoder here. UTF-16 goes
 * through TextDecoder: StringDecoder passes an unpaired surrogate through as is, where
 * TextDecoder gives U+FFFD, which the analyser refuses with its row.
 */
function decoderFor(sniffed: Sniffed, chosen: FileEncoding | undefined): Decoder {
  const utf16 = sniffed.bom === 'utf-16le' || sniffed.bom === 'utf-16be' ? sniffed.bom : null;
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
  private readonly decoder: Decoder;
  private atStart = true;
  private sawUndecodable = false;

  constructor(
    sniffed: Sniffed,
    encoding: FileEncoding | undefined,
    private readonly onUndecodable: () => void,
    private readonly onBytes: (bytesRead: number) => void,
  ) {
    super({ readableObjectMode: true });
    this.decoder = decoderFor(sniffed, encoding);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytesRead += chunk.length;
    this.emitText(this.decoder.write(chunk));
    this.onBytes(this.bytesRead);
    done();
  }

  override _flush(done: TransformCallback): void {
    this.emitText(this.decoder.end());
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

function fileReadError(path: string, error: NodeJS.ErrnoException): Error {
  return new Error(
    `Cannot read "${path}": ${error.code === 'ENOENT' ? 'the file does not exist' : error.message}`,
  );
}

const HEAD_BYTES = 256 * 1024;

export const csvSource: RecordSource = {
  format: 'csv',

  read({ path, options, sniffed }, { sink, progress }) {
    const csv = options.csv ?? {};
    return new Promise<SourceReadResult>((resolve, reject) => {
      let failed = false;
      const fail = (error: Error): void => {
        if (failed) return;
        failed = true;
        reject(error);
      };
      const decode = new DecodeAndHash(sniffed, csv.encoding, () => sink.undecodable(), progress);
      const file = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
      file.on('error', (error: NodeJS.ErrnoException) => {
        fail(fileReadError(path, error));
        decode.destroy();
      });
      file.pipe(decode);
      const reader = new CsvRecordReader(sink, csv);
      const config: Papa.ParseLocalConfig<string[], NodeJS.ReadableStream> = {
        ...papaConfig(csv),
        chunk: (result) => {
          if (!failed) reader.chunk(result);
        },
        complete: () => {
          if (failed) return;
          resolve({ sha256: decode.hash.digest('hex'), bytesRead: decode.bytesRead });
        },
        error: (error) => fail(new Error(`Cannot read "${path}": ${error.message}`)),
      };
      Papa.parse<string[], NodeJS.ReadableStream>(decode, config);
    });
  },

  async readHead(path, options, sniffed, sampleRows) {
    const handle = await open(path, 'r');
    let bytes: Buffer;
    try {
      const buffer = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
      bytes = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    const csv = options.csv ?? {};
    // The same decoder as the worker's (UTF-16 LE and BE, a chosen encoding); not end()ed: the
    // last character may be cut off by the head's end.
    let text = decoderFor(sniffed, csv.encoding).write(bytes);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const wanted = sampleRows + 1;
    const result = Papa.parse<string[]>(text, {
      ...papaConfig(csv),
      // A few spare lines: blank lines are skipped below, and the last line may be cut off.
      preview: wanted + 20,
    });
    let source: FileHead['source'] | null = null;
    const kept: string[][] = [];
    new CsvRecordReader(
      {
        records: (batch) => {
          source = batch.source;
          for (const record of batch.records) {
            if (record.some((cell) => cell.trim() !== '')) kept.push(record);
          }
        },
        undecodable: () => {},
        fileError: () => {},
      },
      csv,
    ).chunk(result);
    const [headers = [], ...rest] = kept;
    return {
      headers: headers.map((h) => h.trim()),
      sample: rest.slice(0, sampleRows),
      source: source ?? {
        format: 'csv',
        delimiter: csv.delimiter ?? ',',
        encoding: csv.encoding ?? null,
      },
    };
  },
};

type FileHead = Awaited<ReturnType<RecordSource['readHead']>>;
