import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import type { StagedRow } from '../../../shared/db/rpc-contract';

// CSV files on disk for the reliability suites that go through the file-level services
// (importFile, the session service): a temporary folder per suite, and files written from rows
// keyed by the canonical column names, quoted as a spreadsheet would quote them.

export const CANONICAL_HEADER = [
  'transaction_number',
  'user_id',
  'purchased_at',
  'sku_id',
  'quantity',
  'unit_price',
  'currency',
  'total_amount',
  'store_code',
  'notes',
] as const;

export type CsvRecord = Record<(typeof CANONICAL_HEADER)[number], string>;

export interface TempFolder {
  readonly dir: string;
  /** Writes the records under the canonical header; returns the file's path. */
  write(records: readonly CsvRecord[], name?: string): Promise<string>;
  /** A path in the folder (for exports). */
  path(name: string): string;
  remove(): Promise<void>;
}

export async function openTempFolder(label: string): Promise<TempFolder> {
  const dir = await mkdtemp(join(tmpdir(), `${label}-`));
  return {
    dir,
    async write(records, name = `${randomUUID()}.csv`) {
      const path = join(dir, name);
      await writeFile(path, csvText(records));
      return path;
    },
    path: (name) => join(dir, name),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The file's text: canonical header, one line per record, every cell as given (no escaping of
 * formulas: these files are input, and the suites want the hostile text to reach the engine). */
export function csvText(records: readonly CsvRecord[]): string {
  const body = records.map((record) => CANONICAL_HEADER.map((column) => record[column]));
  return `${Papa.unparse([[...CANONICAL_HEADER], ...body], { newline: '\n', escapeFormulae: false })}\n`;
}

/** Staged-row shaped test data (test/support/seed buildRows) as CSV records. */
export function recordsOf(rows: readonly StagedRow[]): CsvRecord[] {
  return rows.map((row) => ({
    transaction_number: row.transaction_number,
    user_id: row.user_id ?? '',
    purchased_at: row.purchased_at,
    sku_id: row.sku_id ?? '',
    quantity: String(row.quantity),
    unit_price: row.unit_price,
    currency: row.currency ?? '',
    total_amount: row.total_amount ?? '',
    store_code: row.store_code ?? '',
    notes: row.notes ?? '',
  }));
}
