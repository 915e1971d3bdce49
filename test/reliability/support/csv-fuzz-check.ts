import { StringDecoder } from 'node:string_decoder';
import { TextDecoder } from 'node:util';
import { MAX_QUANTITY } from '../../../shared/domain/money';
import {
  CANONICAL_COLUMNS,
  type CanonicalColumn,
  type ErrorCode,
  type ImportReport,
  type Purchase,
  type RawRow,
  type RowError,
} from '../../../shared/domain/types';
import { transactionKey } from '../../../shared/domain/validate-row';

// What "a report or a clear error" means for a fuzzed file, written down once: the fuzz suite runs
// every case's report through checkReport and fails on any problem it names.
//
// The app's contract (shared/domain/analyse.ts, validate-row.ts, group-purchases.ts): defects come
// back as RowErrors, never as exceptions. A file-level defect sits on row 0 or 1 and blocks every
// purchase; a cell defect names the spreadsheet row, the canonical column and the raw text of the
// cell; a cross-row defect names its transaction; a row papaparse could not read is
// `malformed_csv` with no column (the whole row is the problem). Every data row ends up either in
// a purchase or explained by an error on itself or on a row of its transaction.

/** Which part of the engine raises each code (exhaustive: a new code must be placed here). */
const CODE_KIND: Record<ErrorCode, 'file' | 'warning' | 'cell' | 'group' | 'reference' | 'row'> = {
  missing_columns: 'file',
  duplicate_column: 'file',
  empty_file: 'file',
  unknown_column: 'warning',
  malformed_csv: 'row',
  required: 'cell',
  invalid_uuid: 'cell',
  invalid_integer: 'cell',
  out_of_range: 'cell',
  invalid_amount: 'cell',
  too_many_decimals: 'cell',
  ambiguous_number: 'cell',
  invalid_date: 'cell',
  ambiguous_date: 'cell',
  missing_time_zone: 'cell',
  invalid_currency: 'cell',
  too_long: 'cell',
  invalid_email: 'cell',
  inconsistent_purchase: 'group',
  total_mismatch: 'group',
  unknown_user: 'reference',
  unknown_sku: 'reference',
  ambiguous_key: 'reference',
  key_changed: 'reference',
  already_imported: 'reference',
  conflict: 'reference',
};

const COLUMNS: ReadonlySet<string> = new Set(CANONICAL_COLUMNS);
const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const KEY_REF = /^(email:[^\s@]+@[^\s@]+|code:\S(.*\S)?)$/s;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function isCanonical(column: string | null): column is CanonicalColumn {
  return column !== null && COLUMNS.has(column);
}

/** papaparse could not read the header record (analyse.ts startHeader). */
function isHeaderReadError(e: RowError): boolean {
  return e.code === 'malformed_csv' && e.message.startsWith('the header row');
}

/**
 * A header read error numbered with the header's own line (above 1 when blank lines precede it):
 * the rest of the app takes rows 0-1 as "the whole file" and rows from 2 as data rows.
 */
export function headerErrorBelowRowOne(report: ImportReport): boolean {
  return report.errors.some((e) => isHeaderReadError(e) && e.row > 1);
}

/** The grouper's "items add up to more than ..." is out_of_range on a purchase, not a cell. */
function isGroupOverflow(e: RowError): boolean {
  return e.code === 'out_of_range' && e.message.includes('add up to more than');
}

function describe(e: RowError): string {
  return JSON.stringify({
    ...e,
    value: e.value && e.value.length > 80 ? `${e.value.slice(0, 80)}…` : e.value,
  });
}

/**
 * Every problem with a local report (no reference check applied), as text; [] when it keeps the
 * contract. `rawRows` are the rows the preview grid would show (analyse with keepRows).
 */
export function checkReport(report: ImportReport, rawRows: readonly RawRow[]): string[] {
  const problems: string[] = [];
  const fail = (text: string): void => {
    if (problems.length < 20) problems.push(text);
  };
  const byRow = new Map<number, RawRow>();
  let previousRow = 1;
  for (const raw of rawRows) {
    if (raw.row <= previousRow) fail(`raw rows are not in file order at row ${raw.row}`);
    previousRow = raw.row;
    byRow.set(raw.row, raw);
  }

  let previous = 0;
  for (const e of report.errors) {
    const kind = CODE_KIND[e.code] as (typeof CODE_KIND)[ErrorCode] | undefined;
    if (kind === undefined) fail(`unknown error code: ${describe(e)}`);
    if (!Number.isInteger(e.row) || e.row < 0) fail(`error without a row number: ${describe(e)}`);
    if (typeof e.message !== 'string' || e.message.trim().length < 10) {
      fail(`error without a message naming the defect: ${describe(e)}`);
    }
    if (e.severity === 'warning') fail(`a warning among the errors: ${describe(e)}`);
    if (e.row < previous) fail(`errors are not sorted by row at ${describe(e)}`);
    previous = e.row;
    if (kind === 'warning' || kind === 'reference') {
      fail(`${e.code} is not a local error: ${describe(e)}`);
    }
    if (kind === 'file' && e.row > 1) fail(`file-level error on a data row: ${describe(e)}`);
    if (e.row <= 1 || isHeaderReadError(e)) {
      if (kind !== 'file' && e.code !== 'malformed_csv') {
        fail(`row-level code on the header or the whole file: ${describe(e)}`);
      }
      continue;
    }
    const raw = byRow.get(e.row);
    if (!raw) {
      fail(`error on row ${e.row}, which is not a data row of the file: ${describe(e)}`);
      continue;
    }
    if (e.code === 'malformed_csv' && e.column === null) continue; // the whole row is unreadable
    if (!isCanonical(e.column)) {
      fail(`row error without a canonical column: ${describe(e)}`);
      continue;
    }
    if (kind === 'group' || isGroupOverflow(e)) {
      // A cross-row error shows the row's normalised value; null stands for an empty cell.
      if (e.value === null && !e.message.includes('(empty)')) {
        fail(`cross-row error without the value: ${describe(e)}`);
      }
      if (!e.message.includes('transaction "')) {
        fail(`cross-row error that does not name its transaction: ${describe(e)}`);
      }
      continue;
    }
    // A cell error: it must show exactly what the cell holds, and say which column it is about.
    if (typeof e.value !== 'string') fail(`cell error without the value: ${describe(e)}`);
    else if (e.value !== raw.cells[e.column]) {
      fail(
        `error value is not the cell's text (row ${e.row}, ${e.column}: cell ${JSON.stringify(
          raw.cells[e.column].slice(0, 80),
        )}): ${describe(e)}`,
      );
    }
    if (!e.message.startsWith(e.column))
      fail(`cell error that does not name its column: ${describe(e)}`);
  }
  for (const w of report.warnings) {
    if (w.severity !== 'warning') fail(`warning without severity 'warning': ${describe(w)}`);
    if (w.message.trim().length < 10) fail(`warning without a message: ${describe(w)}`);
  }

  const blocked = report.errors.some((e) => e.row <= 1 || isHeaderReadError(e));
  if (blocked && report.purchases.length > 0) {
    fail(`a file-level error did not block the purchases (${report.purchases.length} kept)`);
  }

  const errorRows = new Set(report.errors.map((e) => e.row));
  const erroredKeys = new Set<string>();
  for (const row of errorRows) {
    const raw = byRow.get(row);
    if (raw) erroredKeys.add(transactionKey(raw.cells.transaction_number));
  }
  const purchaseRows = new Set<number>();
  const transactions = new Set<string>();
  let items = 0;
  let total = 0;
  for (const p of report.purchases) problems.push(...checkPurchase(p, byRow, errorRows));
  for (const p of report.purchases) {
    if (transactions.has(p.transactionNumber)) {
      fail(`transaction ${JSON.stringify(p.transactionNumber)} appears as two purchases`);
    }
    transactions.add(p.transactionNumber);
    for (const row of p.rows) purchaseRows.add(row);
    items += p.items.length;
    total += p.totalAmountCents;
  }
  for (const raw of rawRows) {
    if (blocked || purchaseRows.has(raw.row) || errorRows.has(raw.row)) continue;
    if (erroredKeys.has(transactionKey(raw.cells.transaction_number))) continue;
    fail(`row ${raw.row} vanished: in no purchase and explained by no error`);
  }

  const s = report.summary;
  if (s.rows !== rawRows.length) fail(`summary.rows ${s.rows} but ${rawRows.length} data rows`);
  if (s.purchases !== report.purchases.length) fail(`summary.purchases ${s.purchases} is wrong`);
  if (s.items !== items) fail(`summary.items ${s.items}, purchases hold ${items}`);
  if (s.totalAmountCents !== total)
    fail(`summary.totalAmountCents ${s.totalAmountCents} != ${total}`);
  return problems.slice(0, 20);
}

function checkPurchase(
  p: Purchase,
  byRow: ReadonlyMap<number, RawRow>,
  errorRows: ReadonlySet<number>,
): string[] {
  const problems: string[] = [];
  const name = `purchase ${JSON.stringify(p.transactionNumber.slice(0, 40))}`;
  if (p.transactionNumber.length === 0 || p.transactionNumber !== p.transactionNumber.trim()) {
    problems.push(`${name}: transaction number is empty or untrimmed`);
  }
  // A member named by e-mail (a mapping of user_email) is a key reference (natural-keys.ts).
  if (!LOWER_UUID.test(p.userId) && !KEY_REF.test(p.userId)) {
    problems.push(`${name}: user id ${p.userId} is not a uuid`);
  }
  if (!ISO_UTC.test(p.purchasedAt) && unstorableReason(p) === null) {
    problems.push(`${name}: purchased_at ${p.purchasedAt} is not ISO 8601 UTC`);
  }
  if (p.items.length === 0) problems.push(`${name}: no items`);
  let sum = 0;
  p.items.forEach((item, i) => {
    if (item.lineNumber !== i + 1) problems.push(`${name}: line numbers out of order`);
    if (p.rows[i] !== item.row) problems.push(`${name}: rows do not list its items' rows`);
    if (!LOWER_UUID.test(item.skuId) && !KEY_REF.test(item.skuId)) {
      problems.push(`${name}: sku ${item.skuId} is not a uuid`);
    }
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_QUANTITY) {
      problems.push(`${name}: quantity ${item.quantity} out of range`);
    }
    if (!Number.isSafeInteger(item.unitPriceCents) || item.unitPriceCents < 0) {
      problems.push(`${name}: price ${item.unitPriceCents} is not whole cents`);
    }
    sum += item.quantity * item.unitPriceCents;
    if (errorRows.has(item.row)) problems.push(`${name}: row ${item.row} has an error`);
    const raw = byRow.get(item.row);
    if (!raw) problems.push(`${name}: row ${item.row} is not a data row`);
    else if (transactionKey(raw.cells.transaction_number) !== p.transactionNumber) {
      problems.push(`${name}: row ${item.row} belongs to another transaction`);
    }
  });
  if (Math.abs(sum - p.totalAmountCents) > 1) {
    problems.push(`${name}: total ${p.totalAmountCents} but items add up to ${sum}`);
  }
  return problems;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why PostgreSQL would refuse a purchase the local rules accepted, or null. Each reason was a bug
 * (named regression tests in fuzz.test.ts); the fuzz loop fails on any of them.
 */
export function unstorableReason(p: Purchase): string | null {
  const texts = [
    p.transactionNumber,
    p.storeCode,
    p.notes,
    p.currency,
    ...p.items.map((item) => item.notes ?? null),
  ];
  for (const text of texts) {
    if (text === null || text === undefined) continue;
    if (text.includes('\u0000')) return 'NUL character in a cell';
    if (LONE_SURROGATE.test(text)) return 'lone UTF-16 surrogate in a cell';
  }
  if (!/^\d{4}-/.test(p.purchasedAt) || p.purchasedAt.startsWith('0000-')) {
    return 'purchased_at outside years 0001-9999';
  }
  return null;
}

/**
 * Bytes to text exactly as the parse worker does (parse-worker.ts decoderFor + DecodeAndHash):
 * the BOM picks UTF-16BE or UTF-16LE (TextDecoder: an unpaired surrogate becomes U+FFFD),
 * anything else is UTF-8 (invalid bytes become U+FFFD), and one leading U+FEFF is dropped. The
 * in-process runs of byte-level cases use it, and the worker-path sample compares the two doors.
 */
export function decodeLikeFileDoor(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let text: string;
  if (buffer[0] === 0xfe && buffer[1] === 0xff) {
    text = new TextDecoder('utf-16be').decode(buffer);
  } else if (buffer[0] === 0xff && buffer[1] === 0xfe) {
    text = new TextDecoder('utf-16le').decode(buffer);
  } else {
    const decoder = new StringDecoder('utf8');
    text = decoder.write(buffer) + decoder.end();
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The parts of a report both doors must agree on (the worker alone knows the file's hash). */
export function comparableReport(report: ImportReport): ImportReport {
  return { ...report, fileSha256: '' };
}
