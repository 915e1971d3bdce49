import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Writes CSV. Exports for people to open in a spreadsheet (error rows) neutralise a cell starting
 * with = + - @ tab or CR with an apostrophe: spreadsheets would otherwise run it as a formula
 * (OWASP "CSV injection"), and those cells come from untrusted input. A file meant to be imported
 * again (the fixed file) is written verbatim: an apostrophe would change its values ("-1001"
 * would come back as "'-1001").
 */
export interface CsvWriteOptions {
  neutralise: boolean;
}

const FOR_PEOPLE: CsvWriteOptions = { neutralise: true };

const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);

export function neutraliseCell(value: string): string {
  return value.length > 0 && FORMULA_START.has(value.charAt(0)) ? `'${value}` : value;
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
  rows: Iterable<readonly string[]>,
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
  for (const row of rows) {
    await write(csvLine(row, options));
    count++;
  }
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  return count;
}
