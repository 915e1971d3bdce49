import type { CsvSourceOptions, SourceInfo, XlsxSourceOptions } from '../sources/records';
// The vocabulary every front door (app, CLI, tests) shares. Pure types: no runtime code here.

/** Canonical CSV columns, in the order they are written back out. */
export const REQUIRED_COLUMNS = [
  'transaction_number',
  'user_id',
  'purchased_at',
  'sku_id',
  'quantity',
  'unit_price',
] as const;
/**
 * user_email and sku_code are the natural keys (issue 13): a file names the member by user_id or
 * by user_email, the SKU by sku_id or by sku_code; the database resolves keys per merchant.
 */
export const OPTIONAL_COLUMNS = [
  'currency',
  'total_amount',
  'store_code',
  'notes',
  'user_email',
  'sku_code',
] as const;
export const CANONICAL_COLUMNS = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS] as const;

export type RequiredColumn = (typeof REQUIRED_COLUMNS)[number];
export type OptionalColumn = (typeof OPTIONAL_COLUMNS)[number];
export type CanonicalColumn = (typeof CANONICAL_COLUMNS)[number];

/**
 * Every defect the engine can report. Row-level codes come from the local rules, reference codes
 * from the database (check or server-side commit), file-level codes have row 1 (the header) or 0.
 */
export type ErrorCode =
  // file level
  | 'missing_columns'
  | 'unknown_column' // a warning, never blocks
  | 'duplicate_column'
  | 'empty_file'
  | 'malformed_csv'
  // cell level
  | 'required'
  | 'invalid_uuid'
  | 'invalid_integer'
  | 'out_of_range'
  | 'invalid_amount'
  | 'too_many_decimals'
  | 'ambiguous_number'
  | 'invalid_date'
  | 'ambiguous_date'
  | 'missing_time_zone'
  | 'invalid_currency'
  | 'too_long'
  | 'invalid_email'
  // cross-row (purchase level)
  | 'inconsistent_purchase'
  | 'total_mismatch'
  // reference (database)
  | 'unknown_user'
  | 'unknown_sku'
  | 'ambiguous_key' // a user_email or sku_code that several members or SKUs share
  | 'key_changed' // a key that names another member or SKU than at the check (commit)
  | 'already_imported'
  | 'conflict';

export type Severity = 'error' | 'warning';

/** One defect. `row` is the spreadsheet row: header = 1, first data row = 2; 0 = whole file. */
export interface RowError {
  row: number;
  column: string | null;
  code: ErrorCode;
  message: string;
  value: string | null;
  severity?: Severity; // absent means 'error'
}

/** A CSV line after column mapping: raw text per canonical column (missing optional = ''). */
export interface RawRow {
  row: number;
  cells: Record<CanonicalColumn, string>;
}

/** A line item that passed the cell rules, normalised. Money is exact integer cents. */
export interface ValidRow {
  row: number;
  transactionNumber: string;
  userId: string; // lower-case uuid
  purchasedAt: string; // ISO 8601 UTC, e.g. 2026-03-04T10:15:00.000Z
  skuId: string; // lower-case uuid
  quantity: number;
  unitPriceCents: number;
  currency: string | null; // ISO 4217 upper-case
  totalAmountCents: number | null;
  storeCode: string | null;
  notes: string | null;
}

export interface PurchaseItem {
  row: number;
  lineNumber: number; // 1-based position within the purchase, in file order
  skuId: string;
  quantity: number;
  unitPriceCents: number;
  notes?: string | null; // the row's own note: rows of a purchase may carry different notes
}

export interface Purchase {
  transactionNumber: string;
  userId: string;
  purchasedAt: string;
  currency: string | null;
  totalAmountCents: number; // given total, or the items' sum when none was given
  storeCode: string | null;
  notes: string | null;
  rows: number[]; // spreadsheet rows of its items, ascending
  items: PurchaseItem[];
}

export interface ImportSummary {
  rows: number;
  purchases: number;
  items: number;
  totalAmountCents: number;
  firstPurchasedAt: string | null;
  lastPurchasedAt: string | null;
  errorRows: number;
  errorsByCode: Partial<Record<ErrorCode, number>>;
  warningsByCode?: Partial<Record<ErrorCode, number>>;
}

export type CsvDelimiter = ',' | ';' | '\t' | '|';

/** What the user chose where the file alone cannot tell (never guessed). */
/** How a file's bytes are read; without one, a byte order mark decides, else UTF-8. */
export const FILE_ENCODINGS = [
  'utf-8',
  'utf-16le',
  'utf-16be',
  'windows-1252',
  'iso-8859-1',
] as const;
export type FileEncoding = (typeof FILE_ENCODINGS)[number];

export interface ParseOptions {
  /** How a CSV file is decoded and split (the CSV source's own options). */
  csv?: CsvSourceOptions;
  /** Which sheet of a workbook is read (the workbook source's own options). */
  xlsx?: XlsxSourceOptions;
  decimalComma?: boolean; // default: true only for ';'-delimited files
  dateFormat?: 'iso' | 'dmy' | 'mdy'; // default 'iso'; dmy/mdy accept 03/04/2026
  timeZone?: string; // IANA zone applied to date-times without an offset; default: none (refused)
  columnMapping?: Partial<Record<CanonicalColumn, string>>; // canonical -> header as in the file
  defaultCurrency?: string;
  /** The order's fields are given on its first row only: fill them down (fill-down.ts). */
  fillOrderFields?: boolean;
}

/**
 * What one natural key names for the merchant: `id` when exactly one member or SKU has it; else
 * null, with candidates when several do (ambiguous), none when nobody does (unknown).
 */
export interface KeyResolution {
  key: string;
  id: string | null;
  name: string | null;
  candidates: { id: string; name: string | null }[];
}

/** Result of the reference check RPC for one merchant. */
export interface ReferenceCheck {
  unknownUserIds: string[];
  unknownSkuIds: string[];
  existingTransactions: { transactionNumber: string; batchId: string | null }[];
  /** Every user_email / sku_code of the file, resolved (absent: the file has none). */
  userKeys?: KeyResolution[];
  skuKeys?: KeyResolution[];
}

/** ParseOptions after defaults and detection: what the rows were actually validated with. */
export interface ImportSettings {
  /** How the source read the file: CSV delimiter and encoding, or the workbook's sheet. */
  source: SourceInfo;
  decimalComma: boolean;
  dateFormat: 'iso' | 'dmy' | 'mdy';
  timeZone: string | null;
  defaultCurrency: string | null;
  /** The order's fields were filled down from its first row (absent: they were not). */
  fillOrderFields?: boolean;
}

/**
 * `P`: how the purchases are held. Purchase objects for the command line and tests; the app's
 * session keeps them packed (`ImportReport<PurchaseList>`, purchase-list.ts, issue 18).
 */
export interface ImportReport<P = Purchase[]> {
  fileName: string;
  fileSha256: string;
  headers: string[];
  mapping: Partial<Record<CanonicalColumn, string>>;
  errors: RowError[]; // sorted by row, then column
  warnings: RowError[];
  purchases: P; // only purchases without any error
  summary: ImportSummary;
  settings?: ImportSettings; // absent only when the file had no header to detect a delimiter from
  referenceCheck?: AppliedReferenceCheck; // the last check applied (re-applied after edits)
}

export interface AppliedReferenceCheck extends ReferenceCheck {
  skipExisting: boolean;
}
