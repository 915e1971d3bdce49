import type { PurchaseStats } from './group-purchases';
import { applyReferenceCheck } from './reference-check';
import { compareIssues, sortIssues } from './sort-issues';
import { STEP_SIZE, type Steps } from './steps';
import { purchaseStats, summarizeStats } from './summary';
import type { ImportReport, Purchase, ReferenceCheck, RowError } from './types';

/**
 * applyReferenceCheck in steps, with the same result (issue 18: at 1M rows it ran 0.1-0.3 s in
 * one go on main). Each purchase is judged on its own, so applyReferenceCheck itself runs on one
 * slice of purchases at a time (its rules stay in one place); the slices' issues, each sorted,
 * are joined in purchase order and merged into the report's own.
 */
export function* applyReferenceCheckSteps(
  report: ImportReport,
  check: ReferenceCheck,
  options: { skipExisting: boolean },
): Steps<ImportReport> {
  const kept: Purchase[] = [];
  const errors: RowError[] = [];
  const warnings: RowError[] = [];
  const all = report.purchases;
  let referenceCheck: ImportReport['referenceCheck'];
  for (let from = 0; from === 0 || from < all.length; from += STEP_SIZE) {
    yield;
    const applied = applyReferenceCheck(
      { ...report, purchases: all.slice(from, from + STEP_SIZE), errors: [], warnings: [] },
      check,
      options,
    );
    for (const p of applied.purchases) kept.push(p);
    for (const e of applied.errors) errors.push(e);
    for (const w of applied.warnings) warnings.push(w);
    referenceCheck = applied.referenceCheck;
  }
  yield;
  // Sorted already unless transactions interleave across slices (then one sort of these only).
  const allErrors = yield* mergeIssues(report.errors, sortIssues(errors));
  const allWarnings = yield* mergeIssues(report.warnings, sortIssues(warnings));
  const stats = yield* purchaseStatsSteps(kept);
  return {
    ...report,
    errors: allErrors,
    warnings: allWarnings,
    purchases: kept,
    summary: summarizeStats({
      rows: report.summary.rows,
      stats,
      errors: allErrors,
      warnings: allWarnings,
    }),
    ...(referenceCheck ? { referenceCheck } : {}),
  };
}

/** purchaseStats in steps. */
export function* purchaseStatsSteps(purchases: readonly Purchase[]): Steps<PurchaseStats> {
  let stats = purchaseStats([]);
  for (let from = 0; from < purchases.length; from += STEP_SIZE) {
    yield;
    stats = addStats(stats, purchaseStats(purchases.slice(from, from + STEP_SIZE)));
  }
  return stats;
}

function addStats(a: PurchaseStats | null, b: PurchaseStats): PurchaseStats {
  if (!a) return b;
  const first = [a.firstPurchasedAt, b.firstPurchasedAt].filter((t): t is string => t !== null);
  const last = [a.lastPurchasedAt, b.lastPurchasedAt].filter((t): t is string => t !== null);
  return {
    purchases: a.purchases + b.purchases,
    items: a.items + b.items,
    totalAmountCents: a.totalAmountCents + b.totalAmountCents,
    firstPurchasedAt: first.reduce<string | null>((m, t) => (m === null || t < m ? t : m), null),
    lastPurchasedAt: last.reduce<string | null>((m, t) => (m === null || t > m ? t : m), null),
  };
}

/**
 * Two lists sorted by sortIssues merged into one, exactly as sortIssues would sort `a` followed
 * by `b` (stable: on a tie, `a`'s issue comes first).
 */
export function* mergeIssues(a: readonly RowError[], b: readonly RowError[]): Steps<RowError[]> {
  if (b.length === 0) return [...a];
  const out: RowError[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (out.length % STEP_SIZE === STEP_SIZE - 1) yield;
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && compareIssues(x, y) <= 0)) {
      out.push(x as RowError);
      i++;
    } else {
      out.push(y);
      j++;
    }
  }
  return out;
}
