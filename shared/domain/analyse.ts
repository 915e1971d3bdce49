import { resolveColumnMapping, type ResolvedMapping } from '../csv/column-mapping';
import { isBlankRecord, parseCsvChunks } from '../csv/csv-parse';
import { CsvRecordReader } from '../sources/csv-records';
import type { CellProblem, RecordBatch, RecordSink, SourceInfo } from '../sources/records';
import { hintOrderFieldErrors, OrderFieldFiller, orderFieldFollowUpsSteps } from './fill-down';
import { runSteps, type Steps } from './steps';
import { PurchaseGrouper, type Accepted, type PurchaseStats } from './group-purchases';
import { keyModeOf } from './natural-keys';
import type { PackedPurchases } from './packed-report';
import { resolveSettings } from './parse-options';
import { sortIssues } from './sort-issues';
import { ChunkStream, type ChunkStreamEnd, type PurchaseChunk } from './stream-chunks';
import { summarize, summarizeStats } from './summary';
import {
  CANONICAL_COLUMNS,
  type CanonicalColumn,
  type ImportReport,
  type ImportSettings,
  type ParseOptions,
  type Purchase,
  type RawRow,
  type RowError,
} from './types';
import { createRowValidator, transactionKey, type RowValidator } from './validate-row';

/**
 * The engine in one place: records in (batch by batch, from any source: CSV, a workbook's
 * sheet), report out. The streaming worker and the in-memory analyseCsvText drive the same
 * RecordAnalyser, so a file gets the same report whichever door it came through.
 */

export interface AnalyseInit {
  fileName: string;
  keepRows?: boolean;
  /**
   * Hand out the chunks the commit would stage (PurchaseList.chunks(maxRows) of the finished
   * report) while rows arrive, each as soon as its purchases are complete (stream-chunks.ts).
   */
  streamChunks?: { maxRows: number; onChunk: (chunk: PurchaseChunk) => void };
}

export interface AnalyseResult {
  report: ImportReport;
  rawRows?: RawRow[];
  /** With streamChunks: what was handed out, and why it stopped early if it did. */
  stream?: ChunkStreamEnd;
}

/** finish({ packed: true }): purchases come packed and `report.purchases` is left empty. */
export interface PackedAnalyseResult extends AnalyseResult {
  packedPurchases: PackedPurchases;
}

const TRANSACTION = CANONICAL_COLUMNS.indexOf('transaction_number');

function toRawRow(record: readonly string[], index: readonly number[], row: number): RawRow {
  const cells = {} as Record<CanonicalColumn, string>;
  CANONICAL_COLUMNS.forEach((column, position) => {
    const i = index[position] ?? -1;
    cells[column] = i < 0 ? '' : (record[i] ?? '');
  });
  return { row, cells };
}

export class RecordAnalyser implements RecordSink {
  private lastRow = 0;
  private dataRows = 0;
  private headers: string[] | null = null;
  private mapping: ResolvedMapping | null = null;
  private settings: ImportSettings | null = null;
  private validator: RowValidator | null = null;
  private sawUndecodable = false;
  private readonly grouper = new PurchaseGrouper();
  private readonly errors: RowError[] = [];
  private readonly fileErrors: RowError[] = [];
  private readonly rawRows: RawRow[] | null;
  private readonly filler: OrderFieldFiller;
  private readonly stream: ChunkStream<Accepted> | null = null;

  constructor(
    private readonly options: ParseOptions,
    private readonly init: AnalyseInit,
  ) {
    this.rawRows = init.keepRows ? [] : null;
    this.filler = new OrderFieldFiller(options.fillOrderFields === true);
    if (init.streamChunks) {
      const { maxRows, onChunk } = init.streamChunks;
      const grouper = this.grouper;
      this.stream = new ChunkStream<Accepted>({
        maxRows,
        onChunk: ({ chunkNo, rows, purchases }) =>
          onChunk({
            chunkNo,
            rows,
            size: purchases.length,
            purchases: () => grouper.purchasesOf(purchases),
            columns: () => grouper.columnsOf(purchases),
          }),
        // Any error refuses the file: nothing of it may be staged.
        guard: () =>
          this.errors.length + this.fileErrors.length + this.grouper.errorCount > 0
            ? 'the file has errors'
            : null,
      });
      this.grouper.streamTo(this.stream);
    }
  }

  /** Stops handing out chunks (the report is not affected). */
  private breakStream(reason: string): void {
    if (this.stream !== null) this.grouper.breakStream(reason);
  }

  /** The last row number seen so far (header and blank lines included). */
  get rowsRead(): number {
    return this.lastRow;
  }

  /** Data rows seen so far: the header and blank lines are not rows a user counts. */
  get dataRowsRead(): number {
    return this.dataRows;
  }

  /** The decoder met bytes it could not decode: cells holding U+FFFD are refused from now on. */
  undecodable(): void {
    this.sawUndecodable = true;
    if (this.validator) this.validator.checkUndecodable = true;
  }

  /** A defect of the whole file (unreadable encoding...): nothing from it will be imported. */
  addFileError(error: RowError): void {
    this.fileErrors.push(error);
    this.breakStream(`file error: ${error.code}`);
  }

  /** A file-level defect a source found (merged cells, an unreadable sheet…). */
  fileError(message: string): void {
    this.fileErrors.push({ row: 0, column: null, code: 'malformed_csv', message, value: null });
    this.breakStream('file error: malformed_csv');
  }

  records(batch: RecordBatch): void {
    const { records, rows, problems, cellProblems } = batch;
    for (let i = 0; i < records.length; i++) {
      const record = records[i] ?? [];
      const row = rows[i] ?? this.lastRow + 1;
      this.lastRow = row;
      const problem = problems?.get(i);
      if (problem === undefined && isBlankRecord(record)) continue;
      if (this.headers === null) {
        this.startHeader(record, batch.source, row, problem);
        continue;
      }
      this.addRecord(record, row, problem, cellProblems?.get(i));
    }
  }

  private startHeader(
    record: string[],
    source: SourceInfo,
    row: number,
    parseError: string | undefined,
  ): void {
    this.headers = record.map((h) => h.replace(/^\ufeff/, ''));
    this.settings = resolveSettings(this.options, source);
    this.mapping = resolveColumnMapping(this.headers, this.options.columnMapping);
    if (parseError !== undefined) {
      // Row 1 whatever line the header is on: rows 0-1 are what every consumer (revalidation,
      // the session's blocked reason, the preview's "Header:") takes as the file's own defects.
      this.fileErrors.push({
        row: 1,
        column: null,
        code: 'malformed_csv',
        message: `the header row${row === 1 ? '' : ` (line ${row})`} could not be read: ${parseError}`,
        value: null,
      });
    }
    const keys = keyModeOf(this.mapping.mapping);
    this.validator = createRowValidator(this.settings, keys);
    this.validator.checkUndecodable = this.sawUndecodable;
    if (this.stream !== null) {
      if (this.fileErrors.length > 0) this.breakStream('the header row could not be read');
      else if (this.mapping.errors.length > 0) this.breakStream('the columns could not be mapped');
      // Their staged ids come from the reference check, after the parse.
      else if (keys.userByEmail) this.breakStream('members are named by e-mail');
      else if (keys.skuByCode) this.breakStream('SKUs are named by code');
    }
  }

  private addRecord(
    record: string[],
    row: number,
    parseError: string | undefined,
    cellProblems: readonly CellProblem[] | undefined,
  ): void {
    const mapping = this.mapping;
    const validator = this.validator;
    const headers = this.headers;
    if (!mapping || !validator || !headers) return;
    this.dataRows++;
    // Order fields on the first row only (fill-down.ts): filled when asked, else noted for a hint.
    record = this.filler.next(record, mapping.index, row);
    if (this.rawRows) this.rawRows.push(toRawRow(record, mapping.index, row));
    if (mapping.errors.length > 0) return; // the columns are not known: nothing to validate

    if (parseError !== undefined || record.length !== headers.length) {
      this.errors.push({
        row,
        column: null,
        code: 'malformed_csv',
        message:
          parseError ??
          `the row has ${record.length} field${record.length === 1 ? '' : 's'} but the header has ${headers.length}: a value containing the delimiter must be quoted`,
        value: null,
      });
      this.exclude(record, mapping.index, row);
      return;
    }
    if (cellProblems && this.refuseCells(cellProblems, mapping.index, row)) {
      this.exclude(record, mapping.index, row);
      return;
    }
    const valid = validator.validateRecord(record, mapping.index, row, this.errors);
    if (valid) this.grouper.add(valid);
    else this.exclude(record, mapping.index, row);
  }

  /**
   * Cells the source could not read exactly (a formula without a saved value, an error cell…),
   * refused with their column when that column is imported; other columns' cells are ignored.
   */
  private refuseCells(problems: readonly CellProblem[], index: readonly number[], row: number) {
    let refused = false;
    for (const problem of problems) {
      const position = index.indexOf(problem.index);
      const column = CANONICAL_COLUMNS[position];
      if (position < 0 || column === undefined) continue;
      refused = true;
      this.errors.push({
        row,
        column,
        code: 'malformed_csv',
        message: problem.message,
        value: problem.value,
      });
    }
    return refused;
  }

  private exclude(record: readonly string[], index: readonly number[], row: number): void {
    this.breakStream(`row ${row} has an error`);
    const i = index[TRANSACTION] ?? -1;
    const key = i < 0 ? '' : transactionKey(record[i] ?? '');
    if (key !== '') this.grouper.exclude(key);
  }

  finish(fileSha256: string): AnalyseResult;
  finish(fileSha256: string, options: { packed: true }): PackedAnalyseResult;
  finish(fileSha256: string, options?: { packed: boolean }): AnalyseResult | PackedAnalyseResult {
    const fileErrors = [...this.fileErrors, ...(this.mapping?.errors ?? [])];
    if (this.headers === null) {
      fileErrors.push({
        row: 0,
        column: null,
        code: 'empty_file',
        message: 'the file is empty',
        value: null,
      });
    } else if (this.dataRows === 0) {
      fileErrors.push({
        row: 0,
        column: null,
        code: 'empty_file',
        message: 'the file has a header but no data rows',
        value: null,
      });
    }
    // A file-level defect means the rows may not say what they seem to: import nothing.
    const blocked = fileErrors.length > 0;
    let stream: ChunkStreamEnd | undefined;
    if (this.stream !== null) {
      if (blocked) this.breakStream('file error');
      this.grouper.endStream();
      stream = this.stream.end();
    }
    let purchases: Purchase[] = [];
    let packedPurchases: PackedPurchases | null = null;
    let stats: PurchaseStats | null = null;
    let groupErrors: RowError[];
    if (options?.packed) {
      const grouped = blocked ? new PurchaseGrouper().finishPacked() : this.grouper.finishPacked();
      packedPurchases = grouped.packed;
      stats = grouped.stats;
      groupErrors = blocked ? this.grouper.finish().errors : grouped.errors;
    } else {
      const grouped = this.grouper.finish();
      purchases = blocked ? [] : grouped.purchases;
      groupErrors = grouped.errors;
    }
    const errors = this.filler.hint(sortIssues([...fileErrors, ...this.errors, ...groupErrors]));
    const warnings = sortIssues([...(this.mapping?.warnings ?? [])]);
    const summary = stats
      ? summarizeStats({ rows: this.dataRows, stats, errors, warnings })
      : summarize({ rows: this.dataRows, purchases, errors, warnings });
    const report: ImportReport = {
      fileName: this.init.fileName,
      fileSha256,
      headers: this.headers ?? [],
      mapping: this.mapping?.mapping ?? {},
      errors,
      warnings,
      purchases,
      summary,
      ...(this.settings ? { settings: this.settings } : {}),
    };
    const result: AnalyseResult = this.rawRows ? { report, rawRows: this.rawRows } : { report };
    if (stream) result.stream = stream;
    return packedPurchases ? { ...result, packedPurchases } : result;
  }
}

/**
 * Analyses CSV text already in memory (tests, pasted text, small files). fileSha256 is left ''
 * because hashing needs an async API here; the file worker fills it in.
 */
export function analyseCsvText(
  text: string,
  options: ParseOptions,
  fileName: string,
): ImportReport {
  return analyseCsvTextWithRows(text, options, { fileName }).report;
}

export function analyseCsvTextWithRows(
  text: string,
  options: ParseOptions,
  init: AnalyseInit,
): AnalyseResult {
  const analyser = new RecordAnalyser(options, init);
  if (text.includes('\ufffd')) analyser.undecodable();
  const reader = new CsvRecordReader(analyser, options.csv ?? {});
  parseCsvChunks(text, options.csv ?? {}, (chunk) => reader.chunk(chunk));
  return analyser.finish('');
}

/** One change made in the preview: new text for some cells, or the row deleted. */
export interface RowEdit {
  row: number;
  cells?: Partial<Record<CanonicalColumn, string>>;
  delete?: boolean;
}

export interface RevalidateResult {
  report: ImportReport;
  rawRows: RawRow[];
  /** Transactions whose rows were re-checked: re-run the reference check for these. */
  affectedTransactions: string[];
}

/**
 * The re-checked rows' errors, those of order fields left empty after an earlier row of their
 * transaction gave them with the hint naming "Order fields on first row only" (as a whole file
 * gets them: fill-down.ts).
 */
export function recheckedErrors(
  settings: ImportSettings,
  recheck: readonly RawRow[],
  errors: RowError[],
): RowError[] {
  return runSteps(recheckedErrorsSteps(settings, recheck, errors));
}

/** recheckedErrors in steps (issue 18: the re-checked rows can be all of a 1M-row file). */
export function* recheckedErrorsSteps(
  settings: ImportSettings,
  recheck: readonly RawRow[],
  errors: RowError[],
): Steps<RowError[]> {
  if (settings.fillOrderFields) return errors;
  return hintOrderFieldErrors(errors, yield* orderFieldFollowUpsSteps(recheck));
}
