import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Writes CSV. Exports for people to open in a spreadsheet (error rows) neutralise formula cells
 * as OWASP's CSV injection guidance says: a cell whose first character is = + - @, tab, carriage
 * return or line feed (or NUL, from ASVS) gets an apostrophe in front, so spreadsheets show it as
 * text instead of running it. Spreadsheets also evaluate these after leading whitespace and in
 * their full-width forms (＝ ＋ － ＠), so those count too. A file meant to be imported again
 * (the fixed file) is written verbatim: an apostrophe would change its values ("-1001" would come
 * back as "'-1001"), and its save dialog says so.
 */
export interface CsvWriteOptions {
  neutralise: boolean;
}

const FOR_PEOPLE: CsvWriteOptions = { neutralise: true };

/** OWASP's formula triggers, their full-width forms, and NUL. */
export const FORMULA_TRIGGERS: readonly string[] = [
  '=',
  '+',
  '-',
  '@',
  '\t',
  '\r',
  '\n',
  '\0',
  '\uff1d', // ＝ FULLWIDTH EQUALS SIGN
  '\uff0b', // ＋ FULLWIDTH PLUS SIGN
  '\uff0d', // － FULLWIDTH HYPHEN-MINUS
  '\uff20', // ＠ FULLWIDTH COMMERCIAL AT
];

/** Whitespace a spreadsheet skips before it looks for a formula (incl. NBSP, ideographic space). */
const LEADING_SPACE =
  // eslint-disable-next-line no-control-regex -- vertical tab and form feed are whitespace too
  /^[ \u000b\u000c\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]*/u;

export function isFormulaLike(value: string): boolean {
  const rest = value.replace(LEADING_SPACE, '');
  return rest.length > 0 && FORMULA_TRIGGERS.includes(rest.charAt(0));
}

export function neutraliseCell(value: string): string {
  return isFormulaLike(value) ? `'${value}` : value;
}

export function csvCell(value: string, options: CsvWriteOptions = FOR_PEOPLE): string {
  const safe = options.neutralise ? neutraliseCell(value) : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(cells: readonly string[], options: CsvWriteOptions = FOR_PEOPLE): string {
  return `${cells.map((cell) => csvCell(cell, options)).join(',')}\r\n`;
}

/** Streams lines to a file without building the whole text in memory; returns lines written. */
export async function writeCsv(
  path: string,
  header: readonly string[],
  // Async for rows read page by page from the database (a failed batch's million errors).
  rows: Iterable<readonly string[]> | AsyncIterable<readonly string[]>,
  options: CsvWriteOptions = FOR_PEOPLE,
): Promise<number> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  const failed = once(out, 'error').then(([error]) => {
    throw error;
  });
  let count = 0;
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await Promise.race([once(out, 'drain'), failed]);
  };
  // A BOM so Excel reads the file as UTF-8.
  await write(`\ufeff${csvLine(header, options)}`);
  for await (const row of rows) {
    await write(csvLine(row, options));
    count++;
  }
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  return count;
}
