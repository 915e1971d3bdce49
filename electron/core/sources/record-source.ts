import type { ParseOptions } from '../../../shared/domain/types';
import type { RecordSink, SourceFormat, SourceInfo } from '../../../shared/sources/records';
import type { Sniffed } from './sniff';

/**
 * One file format: how its records are read (all of them, streamed, in the parse worker) and
 * how its head is read (the header and a few rows, for the mapping step). A new format is one
 * module implementing this, registered in sources.ts.
 */
export interface RecordSource {
  format: SourceFormat;
  read(input: SourceReadInput, hooks: SourceReadHooks): Promise<SourceReadResult>;
  readHead(
    path: string,
    options: ParseOptions,
    sniffed: Sniffed,
    sampleRows: number,
  ): Promise<FileHead>;
}

export interface SourceReadInput {
  path: string;
  totalBytes: number;
  options: ParseOptions;
  sniffed: Sniffed;
}

export interface SourceReadHooks {
  sink: RecordSink;
  /** Bytes of the file read so far (for the progress bar). */
  progress(bytesRead: number): void;
}

export interface SourceReadResult {
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
  bytesRead: number;
}

/** The header and first rows of a file, read without reading the whole of it. */
export interface FileHead {
  headers: string[];
  sample: string[][];
  source: SourceInfo;
}
