import type { PurchaseStats } from './group-purchases';
import { PurchaseList } from './purchase-list';
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
  return summarizeStats({ ...input, stats: purchaseStats(input.purchases) });
}

/** Figures of purchases [from, to) of a list (all of them by default), read without objects. */
export function purchaseStats(
  purchases: readonly Purchase[] | PurchaseList,
  from = 0,
  to = purchases.length,
): PurchaseStats {
  const list = purchases instanceof PurchaseList ? purchases : PurchaseList.fromArray(purchases);
  const end = Math.min(to, list.length);
  const stats: PurchaseStats = {
    purchases: Math.max(0, end - from),
    items: 0,
    totalAmountCents: 0,
    firstPurchasedAt: null,
    lastPurchasedAt: null,
  };
  // Compared as instants (purchasedAt is ISO 8601 UTC of one shape: equal instants, equal texts);
  // only the first and the last are read as text.
  let first = -1;
  let last = -1;
  let firstMs = Infinity;
  let lastMs = -Infinity;
  for (let i = from; i < end; i++) {
    stats.items += list.itemCount(i);
    stats.totalAmountCents += list.totalAmountCents(i);
    const ms = list.purchasedAtMs(i);
    if (ms < firstMs) {
      firstMs = ms;
      first = i;
    }
    if (ms > lastMs) {
      lastMs = ms;
      last = i;
    }
  }
  if (first >= 0) stats.firstPurchasedAt = list.purchasedAt(first);
  if (last >= 0) stats.lastPurchasedAt = list.purchasedAt(last);
  return stats;
}

/** The summary from purchase figures computed elsewhere (the worker packs without objects). */
export function summarizeStats(input: {
  rows: number;
  stats: PurchaseStats;
  errors: readonly RowError[];
  warnings: readonly RowError[];
}): ImportSummary {
  const errorRows = new Set<number>();
  for (const e of input.errors) if (e.row >= 2) errorRows.add(e.row);
  return {
    rows: input.rows,
    purchases: input.stats.purchases,
    items: input.stats.items,
    totalAmountCents: input.stats.totalAmountCents,
    firstPurchasedAt: input.stats.firstPurchasedAt,
    lastPurchasedAt: input.stats.lastPurchasedAt,
    errorRows: errorRows.size,
    errorsByCode: countByCode(input.errors),
    warningsByCode: countByCode(input.warnings),
  };
}
