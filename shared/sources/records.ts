import { z } from 'zod';
import { FILE_ENCODINGS, type CsvDelimiter, type FileEncoding } from '../domain/types';

/**
 * The record model every file format is read into. A source (CSV, a workbook's sheet…) turns a
 * file into records: the header first, then the data rows, each record's cells as text with its
 * spreadsheet row number (the row Excel or a text editor shows). The analyser consumes records
 * and knows nothing of delimiters, encodings, zip files or sheets.
 */

/** The formats a source exists for (see electron/core/sources). */
export const SOURCE_FORMATS = ['csv', 'xlsx'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** Options of the CSV source: how its bytes are decoded and split (never guessed: say them). */
export interface CsvSourceOptions {
  encoding?: FileEncoding; // default: by byte order mark, else UTF-8
  delimiter?: CsvDelimiter; // default: detected from the header line
}

/** Options of the workbook source. */
export interface XlsxSourceOptions {
  /** The sheet to read; default: the only visible sheet (several visible: the user chooses). */
  sheet?: string;
}

/** How a source read the file: detected or chosen, shown under File settings. */
export type SourceInfo =
  | { format: 'csv'; delimiter: CsvDelimiter; encoding: FileEncoding | null }
  | { format: 'xlsx'; sheet: string; sheets: SheetInfo[] };

export interface SheetInfo {
  name: string;
  /** hidden or veryHidden in the workbook: read only when chosen by name. */
  hidden: boolean;
}

/** A cell a source could not read exactly (a formula without a saved value, an error cell…). */
export interface CellProblem {
  /** Position of the cell in its record (the header's column index). */
  index: number;
  message: string;
  value: string;
}

/**
 * A batch of records. `rows[i]` is the spreadsheet row of `records[i]`; rows only grow.
 * `problems` (index in the batch → sentence): the whole record could not be read (it is still
 * given, so the row is counted and shown). `cellProblems`: cells that could not be read exactly.
 */
export interface RecordBatch {
  source: SourceInfo;
  records: string[][];
  rows: number[];
  problems?: ReadonlyMap<number, string>;
  cellProblems?: ReadonlyMap<number, readonly CellProblem[]>;
}

/** Where a source delivers what it reads (the analyser, in the worker or in memory). */
export interface RecordSink {
  records(batch: RecordBatch): void;
  /** The decoder met bytes it could not decode: cells holding U+FFFD are refused from now on. */
  undecodable(): void;
  /** A defect of the whole file (merged cells, an unreadable sheet…): nothing is imported. */
  fileError(message: string): void;
}

export const sheetInfoSchema = z.object({ name: z.string(), hidden: z.boolean() });

/** SourceInfo as it crosses an edge (worker message, IPC). */
export const sourceInfoSchema = z.discriminatedUnion('format', [
  z.object({
    format: z.literal('csv'),
    delimiter: z.enum([',', ';', '\t', '|']),
    encoding: z.enum(FILE_ENCODINGS).nullable(),
  }),
  z.object({ format: z.literal('xlsx'), sheet: z.string(), sheets: z.array(sheetInfoSchema) }),
]) satisfies z.ZodType<SourceInfo>;
