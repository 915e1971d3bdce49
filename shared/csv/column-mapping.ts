import { describeRequiredColumn, missingRequiredColumns } from '../domain/natural-keys';
import {
  CANONICAL_COLUMNS,
  type CanonicalColumn,
  type ParseOptions,
  type RowError,
} from '../domain/types';

/**
 * Header matching. A header maps automatically only when its normalised spelling is the canonical
 * name or a known alias; anything weaker is offered as a suggestion for the mapping screen and
 * never applied on its own, because a wrongly mapped money column would import wrong amounts.
 */

/** Lower-case, letters and digits only: "Txn ID", "txn_id" and "TXN-Id" all become "txnid". */
export function normalizeHeader(header: string): string {
  return header.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

const ALIASES: Record<CanonicalColumn, readonly string[]> = {
  transaction_number: [
    'transaction number',
    'transaction no',
    'transaction',
    'transaction id',
    'txn',
    'txn id',
    'txn no',
    'txn number',
    'order id',
    'order number',
    'order no',
    'receipt',
    'receipt number',
    'receipt no',
    'receipt id',
  ],
  user_id: [
    'user',
    'user uuid',
    'customer id',
    'customer',
    'customer uuid',
    'member id',
    'member',
    'account id',
  ],
  purchased_at: [
    'purchased at',
    'purchase date',
    'purchase time',
    'purchase datetime',
    'date',
    'datetime',
    'timestamp',
    'transaction date',
    'order date',
  ],
  sku_id: ['sku', 'sku uuid', 'product id', 'product', 'item id', 'article id'],
  quantity: ['qty', 'units', 'quantity purchased'],
  unit_price: ['price', 'unit price', 'item price', 'price per unit', 'unit cost'],
  currency: ['currency code', 'ccy', 'cur'],
  total_amount: [
    'total',
    'total amount',
    'order total',
    'transaction total',
    'receipt total',
    'grand total',
  ],
  store_code: ['store', 'store id', 'shop', 'shop code', 'shop id', 'branch', 'location'],
  notes: ['note', 'comment', 'comments', 'remark', 'remarks', 'memo'],
  // Natural keys (issue 13). "SKU" alone stays sku_id (files of UUIDs use it); a file of codes
  // maps it to sku_code on the mapping step, or names it as one of these.
  user_email: [
    'email',
    'e-mail',
    'email address',
    'customer email',
    'customer e-mail',
    'user email',
    'member email',
    'buyer email',
  ],
  sku_code: [
    'sku code',
    'lineitem sku',
    'line item sku',
    'item sku',
    'variant sku',
    'product sku',
    'product code',
    'item code',
    'article code',
    'article number',
  ],
};

/**
 * Headers that plausibly mean more than one column. "Amount" in a line-item file may be the unit
 * price, the line total (quantity x price) or the purchase total; picking one would be a guess
 * about money, so they are only ever suggested, never applied.
 */
// A Map, not an object literal: a header read from the file ("constructor", "__proto__") must
// not find the object's prototype members.
const AMBIGUOUS: ReadonlyMap<string, readonly CanonicalColumn[]> = new Map([
  ['amount', ['total_amount', 'unit_price']],
  ['value', ['total_amount', 'unit_price']],
  ['totalprice', ['total_amount', 'unit_price']],
  ['id', ['transaction_number', 'user_id', 'sku_id']],
  ['number', ['transaction_number']],
  ['time', ['purchased_at']],
  ['code', ['store_code', 'currency']],
]);

/** Line-level totals are none of our columns; hinting "total_amount" for them would mislead. */
const NEVER_HINT = new Set(['linetotal', 'lineamount', 'subtotal', 'linesubtotal', 'lineprice']);

const EXACT = new Map<string, CanonicalColumn>();
for (const column of CANONICAL_COLUMNS) {
  EXACT.set(normalizeHeader(column), column);
  for (const alias of ALIASES[column]) EXACT.set(normalizeHeader(alias), column);
}

export type MatchKind = 'exact' | 'alias' | 'saved' | 'ambiguous' | 'partial' | 'none';

export interface HeaderSuggestion {
  header: string;
  index: number;
  /** Best candidate, or null when nothing fits. */
  column: CanonicalColumn | null;
  /** 1 = canonical name or saved mapping, 0.9 = known alias, below 0.6 = a hint only. */
  confidence: number;
  kind: MatchKind;
  /** Other columns the header could mean, for an ambiguous header. */
  alternatives: CanonicalColumn[];
}

function matchHeader(header: string, index: number): HeaderSuggestion {
  const key = normalizeHeader(header);
  const exact = EXACT.get(key);
  if (exact) {
    const canonical = key === normalizeHeader(exact);
    return {
      header,
      index,
      column: exact,
      confidence: canonical ? 1 : 0.9,
      kind: canonical ? 'exact' : 'alias',
      alternatives: [],
    };
  }
  const ambiguous = AMBIGUOUS.get(key);
  if (ambiguous) {
    return {
      header,
      index,
      column: ambiguous[0] ?? null,
      confidence: 0.3,
      kind: 'ambiguous',
      alternatives: ambiguous.slice(1),
    };
  }
  // A known spelling inside a longer header ("Item Qty", "Customer UUID (CRM)") is a hint only.
  if (key.length > 0 && !NEVER_HINT.has(key)) {
    let best: { column: CanonicalColumn; length: number } | null = null;
    for (const [alias, column] of EXACT) {
      if (alias.length >= 3 && key.includes(alias) && (!best || alias.length > best.length)) {
        best = { column, length: alias.length };
      }
    }
    if (best) {
      return {
        header,
        index,
        column: best.column,
        confidence: 0.5,
        kind: 'partial',
        alternatives: [],
      };
    }
  }
  return { header, index, column: null, confidence: 0, kind: 'none', alternatives: [] };
}

function findHeader(headers: readonly string[], wanted: string, taken: Set<number>): number {
  const exact = headers.findIndex((h, i) => !taken.has(i) && h === wanted);
  if (exact >= 0) return exact;
  const key = normalizeHeader(wanted);
  return headers.findIndex((h, i) => !taken.has(i) && normalizeHeader(h) === key);
}

export interface MappingSuggestion {
  /** One entry per header, in file order. */
  headers: HeaderSuggestion[];
  /** For each canonical column, the header that would be used (confidence >= 0.9) or null. */
  columns: Record<CanonicalColumn, { header: string; index: number; confidence: number } | null>;
}

/**
 * Suggestions for a mapping screen: every header with its best candidate and a confidence. A
 * saved mapping, where it names a header present in the file, wins with confidence 1.
 */
export function suggestColumnMapping(
  headers: readonly string[],
  saved?: ParseOptions['columnMapping'],
): MappingSuggestion {
  const suggestions = headers.map(matchHeader);
  const columns = Object.fromEntries(CANONICAL_COLUMNS.map((c) => [c, null])) as Record<
    CanonicalColumn,
    { header: string; index: number; confidence: number } | null
  >;
  const taken = new Set<number>();
  const unmapped = new Set<CanonicalColumn>();
  for (const column of CANONICAL_COLUMNS) {
    const wanted = saved?.[column];
    if (wanted === '') unmapped.add(column); // saved as "not in this file"
    if (!wanted) continue;
    const index = findHeader(headers, wanted, taken);
    if (index < 0) continue;
    taken.add(index);
    columns[column] = { header: headers[index] ?? wanted, index, confidence: 1 };
    suggestions[index] = {
      header: headers[index] ?? wanted,
      index,
      column,
      confidence: 1,
      kind: 'saved',
      alternatives: [],
    };
  }
  for (const s of suggestions) {
    if (taken.has(s.index) || !s.column || s.confidence < 0.9) continue;
    if (columns[s.column] || unmapped.has(s.column)) continue; // the first header wins here
    columns[s.column] = { header: s.header, index: s.index, confidence: s.confidence };
  }
  return { headers: suggestions, columns };
}

/** Position of each canonical column in a record (CANONICAL_COLUMNS order), -1 when absent. */
export type ColumnIndex = readonly number[];

export interface ResolvedMapping {
  mapping: Partial<Record<CanonicalColumn, string>>;
  index: ColumnIndex;
  errors: RowError[];
  warnings: RowError[];
}

const quote = (s: string): string => `"${s}"`;

/**
 * Maps the header row onto canonical columns. A saved mapping (canonical -> header text) wins for
 * the columns it names; a saved header missing from this file falls back to automatic matching.
 * Row 1 carries every header-level defect.
 */
export function resolveColumnMapping(
  headers: readonly string[],
  saved?: ParseOptions['columnMapping'],
): ResolvedMapping {
  const errors: RowError[] = [];
  const warnings: RowError[] = [];
  const assigned = new Map<CanonicalColumn, number[]>();
  const headerUse = new Map<number, CanonicalColumn[]>();
  const assign = (column: CanonicalColumn, index: number): void => {
    assigned.set(column, [...(assigned.get(column) ?? []), index]);
    headerUse.set(index, [...(headerUse.get(index) ?? []), column]);
  };

  const savedIndexes = new Set<number>();
  const savedColumns = new Set<CanonicalColumn>();
  for (const column of CANONICAL_COLUMNS) {
    const wanted = saved?.[column];
    // '' saves "not in this file": no header is matched to the column (a preset's way of saying
    // that an export's Total is not the purchase total).
    if (wanted === '') savedColumns.add(column);
    if (!wanted) continue;
    // Two canonical columns saved onto one header is a duplicate; findHeader ignores `taken`
    // here on purpose so that case is detected rather than silently resolved.
    const index = findHeader(headers, wanted, new Set());
    if (index < 0) continue;
    savedIndexes.add(index);
    savedColumns.add(column);
    assign(column, index);
  }

  const ambiguousHeaders: HeaderSuggestion[] = [];
  headers.forEach((header, index) => {
    if (savedIndexes.has(index)) return;
    const s = matchHeader(header, index);
    if (s.column && s.confidence >= 0.9 && !savedColumns.has(s.column)) {
      assign(s.column, index);
    } else if (s.kind === 'ambiguous') {
      ambiguousHeaders.push(s);
    } else {
      const hint =
        s.column && s.confidence > 0 && !savedColumns.has(s.column)
          ? ` (did you mean ${s.column}?)`
          : '';
      warnings.push({
        row: 1,
        column: header,
        code: 'unknown_column',
        message:
          header.trim() === ''
            ? `column ${index + 1} has no header and is ignored`
            : `column ${quote(header)} is not a known column and is ignored${hint}`,
        value: header,
        severity: 'warning',
      });
    }
  });

  const index: number[] = CANONICAL_COLUMNS.map(() => -1);
  const mapping: Partial<Record<CanonicalColumn, string>> = {};
  CANONICAL_COLUMNS.forEach((column, position) => {
    const found = assigned.get(column) ?? [];
    if (found.length > 1) {
      errors.push({
        row: 1,
        column,
        code: 'duplicate_column',
        message: `${column} is matched by more than one column: ${found
          .map((i) => quote(headers[i] ?? ''))
          .join(', ')}; map it to exactly one`,
        value: found.map((i) => headers[i] ?? '').join(', '),
      });
      return;
    }
    const only = found[0];
    if (only !== undefined) {
      index[position] = only;
      mapping[column] = headers[only] ?? '';
    }
  });
  for (const [headerIndex, columns] of headerUse) {
    if (columns.length > 1) {
      errors.push({
        row: 1,
        column: columns[0] ?? null,
        code: 'duplicate_column',
        message: `column ${quote(headers[headerIndex] ?? '')} is mapped to ${columns.join(
          ' and ',
        )}; a column can feed only one field`,
        value: headers[headerIndex] ?? '',
      });
    }
  }

  const missing = missingRequiredColumns((c) => index[CANONICAL_COLUMNS.indexOf(c)] !== -1);
  const duplicated = new Set(errors.map((e) => e.column));
  const reallyMissing = missing.filter((c) => !duplicated.has(c));
  if (reallyMissing.length > 0) {
    const ambiguousNote = ambiguousHeaders
      .filter(
        (s) =>
          s.column && [s.column, ...s.alternatives].some((c) => (missing as string[]).includes(c)),
      )
      .map((s) => ` ${quote(s.header)} is ambiguous and needs to be mapped by hand.`)
      .join('');
    errors.push({
      row: 1,
      column: null,
      code: 'missing_columns',
      message: `missing required column${reallyMissing.length > 1 ? 's' : ''}: ${reallyMissing
        .map(describeRequiredColumn)
        .join(', ')}.${ambiguousNote}`,
      value: reallyMissing.join(','),
    });
  }
  for (const s of ambiguousHeaders) {
    warnings.push({
      row: 1,
      column: s.header,
      code: 'unknown_column',
      message: `column ${quote(s.header)} is ambiguous (could be ${[
        s.column,
        ...s.alternatives,
      ].join(' or ')}) and is ignored unless you map it`,
      value: s.header,
      severity: 'warning',
    });
  }
  return { mapping, index, errors, warnings };
}
