import type { ErrorCode, ImportSummary, Purchase, RowError } from './types';

function countByCode(list: readonly RowError[]): Partial<Record<ErrorCode, number>> {
  const counts: Partial<Record<ErrorCode, number>> = {};
  for (const e of list) counts[e.code] = (counts[e.code] ?? 0) + 1;
  return counts;
}

/**
 * Figures for the preview header. totalAmountCents adds purchases across currencies as plain
 * cents: it is a size indicator, not an amount in any one currency. errorRows counts data rows
 * (row >= 2) with at least one error; file-level errors are counted in errorsByCode only.
 */
export function summarize(input: {
  rows: number;
  purchases: readonly Purchase[];
  errors: readonly RowError[];
  warnings: readonly RowError[];
}): ImportSummary {
  let items = 0;
  let totalAmountCents = 0;
  let first: string | null = null;
  let last: string | null = null;
  for (const p of input.purchases) {
    items += p.items.length;
    totalAmountCents += p.totalAmountCents;
    // ISO 8601 UTC strings of one shape order the same as the instants they name.
    if (first === null || p.purchasedAt < first) first = p.purchasedAt;
    if (last === null || p.purchasedAt > last) last = p.purchasedAt;
  }
  const errorRows = new Set<number>();
  for (const e of input.errors) if (e.row >= 2) errorRows.add(e.row);
  return {
    rows: input.rows,
    purchases: input.purchases.length,
    items,
    totalAmountCents,
    firstPurchasedAt: first,
    lastPurchasedAt: last,
    errorRows: errorRows.size,
    errorsByCode: countByCode(input.errors),
    warningsByCode: countByCode(input.warnings),
  };
}
