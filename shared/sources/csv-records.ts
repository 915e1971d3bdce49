import { describeParseError, isCsvDelimiter, type ParsedChunk } from '../csv/csv-parse';
import type { CsvDelimiter, FileEncoding } from '../domain/types';
import type { RecordSink } from './records';

/**
 * papaparse's chunks as records: each record numbered with its line in the file (a quoted line
 * break stays inside one row, as a spreadsheet shows it), papaparse's row errors as unreadable
 * records. Shared by the streaming CSV source in the worker and the in-memory analysis.
 */
export class CsvRecordReader {
  private row = 0;

  constructor(
    private readonly sink: RecordSink,
    private readonly chosen: { delimiter?: CsvDelimiter; encoding?: FileEncoding },
  ) {}

  chunk(chunk: ParsedChunk): void {
    const { data } = chunk;
    // papaparse reports an error for a row it has not delivered yet (the partial last row of a
    // streamed chunk) and again with the chunk that delivers it: keep only delivered rows.
    let problems: Map<number, string> | undefined;
    for (const e of chunk.errors) {
      if (e.row === undefined || e.row >= data.length) continue;
      problems ??= new Map();
      if (!problems.has(e.row)) problems.set(e.row, describeParseError(e.code, e.message));
    }
    const rows = new Array<number>(data.length);
    for (let i = 0; i < data.length; i++) {
      rows[i] = ++this.row;
      const record = data[i];
      if (record) unquoteAfterSpaces(record);
    }
    const detected = chunk.meta.delimiter;
    this.sink.records({
      source: {
        format: 'csv',
        delimiter: this.chosen.delimiter ?? (isCsvDelimiter(detected) ? detected : ','),
        encoding: this.chosen.encoding ?? null,
      },
      records: data,
      rows,
      ...(problems ? { problems } : {}),
    });
  }
}

const QUOTED_AFTER_SPACES = /^[ \t]+"((?:[^"]|"")*)"[ \t]*$/;

/**
 * `a, "S-03"` (a space after the delimiter, as people type and some tools write): the quote is
 * not at the field's start, so CSV reads it as text and the value would keep its quote marks.
 * A field that is exactly spaces + one quoted value is read as that value; anything else with
 * stray quotes is left for the rules to refuse.
 */
export function unquoteAfterSpaces(record: string[]): void {
  for (let i = 0; i < record.length; i++) {
    const field = record[i] as string;
    const c = field.charCodeAt(0);
    if (c !== 32 && c !== 9) continue;
    const match = QUOTED_AFTER_SPACES.exec(field);
    if (match) record[i] = (match[1] as string).replaceAll('""', '"');
  }
}
