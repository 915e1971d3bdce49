import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Writes CSV for people to open in a spreadsheet. A cell starting with = + - @ tab or CR is
 * prefixed with an apostrophe: spreadsheets would otherwise run it as a formula (OWASP "CSV
 * injection"), and files exported here come from untrusted input.
 */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);

export function neutraliseCell(value: string): string {
  return value.length > 0 && FORMULA_START.has(value.charAt(0)) ? `'${value}` : value;
}

export function csvCell(value: string): string {
  const safe = neutraliseCell(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** Streams lines to a file without building the whole text in memory; returns lines written. */
export async function writeCsv(
  path: string,
  header: readonly string[],
  rows: Iterable<readonly string[]>,
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
  await write(`\ufeff${csvLine(header)}`);
  for (const row of rows) {
    await write(csvLine(row));
    count++;
  }
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  return count;
}
