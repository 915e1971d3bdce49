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

export function sourceFor(sniffed: Sniffed): RecordSource {
  return SOURCES[sniffed.format];
}

/** The header and first rows of any file, for the mapping step (sniffed, then its source). */
export async function readFileHead(
  path: string,
  options: ParseOptions = {},
  sampleRows = 5,
): Promise<FileHead> {
  const sniffed = await sniffFile(path);
  return sourceFor(sniffed).readHead(path, options, sniffed, sampleRows);
}

export type { FileHead, RecordSource } from './record-source';
