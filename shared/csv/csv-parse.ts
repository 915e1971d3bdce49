import Papa from 'papaparse';
import type { CsvDelimiter } from '../domain/types';

/**
 * The one papaparse configuration used everywhere (worker streaming, in-memory analysis, the
 * benchmark's raw baseline), so all front doors read a file the same way.
 *
 * Records are read as arrays (header: false): papaparse's own header mode renames duplicate
 * headers ("Price", "Price_1") and would hide a duplicate_column, and arrays are cheaper than
 * objects per row. Empty lines are NOT skipped by papaparse: we skip them ourselves but still
 * count them, so a row number is the record's position in the file, which is what a spreadsheet
 * shows (a quoted line break stays inside one row there too).
 */

export const CSV_DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t', '|'];

export function isCsvDelimiter(value: string): value is CsvDelimiter {
  return (CSV_DELIMITERS as readonly string[]).includes(value);
}

/** Base papaparse config; callers add `chunk`/`complete` (streaming) as needed. */
export function papaConfig(options: { delimiter?: CsvDelimiter }): Papa.ParseConfig<string[]> {
  return {
    header: false,
    dynamicTyping: false,
    skipEmptyLines: false,
    quoteChar: '"',
    escapeChar: '"',
    delimiter: options.delimiter ?? guessDelimiter,
  };
}

/** How far into the first chunk the header line is looked for. */
const HEADER_SCAN_LIMIT = 1 << 20;

/**
 * The delimiter a file was written with, read from its header line: the candidate that occurs
 * most often there, outside quotes (ties and none go to ',').
 *
 * Why not papaparse's own guess: it compares field counts over the first ten records, including
 * the empty one after the last line break, so in a file of a few rows a ',' or ';' inside values
 * (decimal commas, a quoted note) outvotes the real delimiter and a valid file is refused for
 * missing columns. A header names columns; it rarely holds a delimiter of another kind.
 * papaparse calls this once, with the first chunk, and keeps the answer for the rest.
 */
export function guessDelimiter(input: string): CsvDelimiter {
  const counts = new Map<CsvDelimiter, number>();
  let inQuotes = false;
  let content = false;
  const end = Math.min(input.length, HEADER_SCAN_LIMIT);
  for (let i = 0; i < end; i++) {
    const c = input[i] ?? '';
    // A line is the header once it holds something other than white space, quotes and
    // delimiters: the analyser skips such lines as blank.
    if (c === '"') {
      inQuotes = !inQuotes;
    } else if (inQuotes) {
      if (c.trim() !== '') content = true;
    } else if (c === '\n' || c === '\r') {
      // Blank lines (or lines of bare delimiters) before the header do not count.
      if (content) break;
      counts.clear();
    } else if (isCsvDelimiter(c)) {
      counts.set(c, (counts.get(c) ?? 0) + 1);
    } else if (c.trim() !== '' && c !== '\ufeff') {
      content = true;
    }
  }
  let best: CsvDelimiter = ',';
  let bestCount = counts.get(',') ?? 0;
  for (const candidate of CSV_DELIMITERS) {
    const count = counts.get(candidate) ?? 0;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

/** What the analyser needs from one papaparse chunk result (papaparse's ParseResult fits). */
export interface ParsedChunk {
  data: string[][];
  errors: readonly { row?: number; code: string; message: string }[];
  meta: { delimiter: string };
}

/** Blank = every field empty or whitespace (covers "", "   " and ",,,,"). */
export function isBlankRecord(record: readonly string[]): boolean {
  for (let i = 0; i < record.length; i++) {
    const field = record[i];
    if (field === undefined || field.length === 0) continue;
    const c = field.charCodeAt(0);
    if ((c > 32 && c !== 160) || field.trim().length > 0) return false;
  }
  return true;
}

/** Human wording for papaparse's row-level error codes. */
export function describeParseError(code: string, message: string): string {
  switch (code) {
    case 'MissingQuotes':
      return 'a quoted field is never closed: everything after the opening quote was read into this row; close the quote';
    case 'InvalidQuotes':
      return 'text follows a closing quote (like "abc"def): quote the whole field and double any quote inside it';
    default:
      return `the row could not be read: ${message}`;
  }
}

/**
 * Parses CSV text already in memory, synchronously, delivering the same chunk results the
 * streaming worker sees. papaparse strips a leading BOM from string input itself.
 */
export function parseCsvChunks(
  text: string,
  options: { delimiter?: CsvDelimiter },
  onChunk: (chunk: ParsedChunk) => void,
  chunkSize = 1 << 20,
): void {
  // papaparse streams a string synchronously when given `chunk`; its typings only model that
  // for files, hence the widened variable.
  const config: Papa.ParseConfig<string[]> & {
    chunkSize: number;
    chunk: (result: Papa.ParseResult<string[]>) => void;
  } = { ...papaConfig(options), chunkSize, chunk: (result) => onChunk(result) };
  Papa.parse<string[]>(text, config);
}
