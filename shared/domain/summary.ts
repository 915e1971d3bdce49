import type { PurchaseStats } from './group-purchases';
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

export function purchaseStats(purchases: readonly Purchase[]): PurchaseStats {
  const stats: PurchaseStats = {
    purchases: purchases.length,
    items: 0,
    totalAmountCents: 0,
    firstPurchasedAt: null,
    lastPurchasedAt: null,
  };
  for (const p of purchases) {
    stats.items += p.items.length;
    stats.totalAmountCents += p.totalAmountCents;
    // ISO 8601 UTC strings of one shape order the same as the instants they name.
    if (stats.firstPurchasedAt === null || p.purchasedAt < stats.firstPurchasedAt) {
      stats.firstPurchasedAt = p.purchasedAt;
    }
    if (stats.lastPurchasedAt === null || p.purchasedAt > stats.lastPurchasedAt) {
      stats.lastPurchasedAt = p.purchasedAt;
    }
  }
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
