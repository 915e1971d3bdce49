import type { ParseOptions } from '../../../shared/domain/types';
import type { SourceFormat } from '../../../shared/sources/records';
import { csvSource } from './csv-source';
import type { FileHead, RecordSource } from './record-source';
import { sniffFile, type Sniffed } from './sniff';
import { xlsxSource } from './xlsx-source';

/**
 * Every record source, by format. A new format: its module (implementing RecordSource), its
 * entry here, its sniffing rule in sniff.ts and its name in SOURCE_FORMATS.
 */
const SOURCES: Record<SourceFormat, RecordSource> = {
  csv: csvSource,
  xlsx: xlsxSource,
};

/** The source that reads a sniffed file; a file none can read is refused with why. */
export function sourceFor(sniffed: Sniffed, path: string): RecordSource {
  if (sniffed.unreadable) throw new Error(`Cannot read "${path}": ${sniffed.unreadable}`);
  return SOURCES[sniffed.format];
}

/** The header and first rows of any file, for the mapping step (sniffed, then its source). */
export async function readFileHead(
  path: string,
  options: ParseOptions = {},
  sampleRows = 5,
): Promise<FileHead> {
  const sniffed = await sniffFile(path);
  return sourceFor(sniffed, path).readHead(path, options, sniffed, sampleRows);
}

export type { FileHead, RecordSource } from './record-source';
