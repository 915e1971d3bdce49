import type { PurchaseStats } from './group-purchases';
import type { PurchaseList } from './purchase-list';
import { appliedCheck, ReferenceJudge } from './reference-check';
import { compareIssues, sortIssues } from './sort-issues';
import { STEP_SIZE, type Steps } from './steps';
import { purchaseStats, summarizeStats } from './summary';
import type { ImportReport, ReferenceCheck, RowError } from './types';

/**
 * applyReferenceCheck over a packed purchase list, in steps, with the same result (issue 18: at
 * 1M rows it ran 0.1-0.3 s in one go on main). The rules are ReferenceJudge's; a purchase is made
 * as an object only when it is rejected (for its issues), the list kept shares the packed base.
 */
export function* applyReferenceCheckSteps(
  report: ImportReport<PurchaseList>,
  check: ReferenceCheck,
  options: { skipExisting: boolean },
): Steps<ImportReport<PurchaseList>> {
  const judge = new ReferenceJudge(check, options);
  const all = report.purchases;
  const kept = new Int32Array(all.length);
  let keptCount = 0;
  const errors: RowError[] = [];
  const warnings: RowError[] = [];
  for (let i = 0; i < all.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    if (judge.passes(all, i) || judge.judge(all.at(i), errors, warnings)) kept[keptCount++] = i;
  }
  yield;
  const purchases = all.select(kept.subarray(0, keptCount));
  // In purchase order: sorted already unless transactions interleave (then one sort of these).
  const allErrors = yield* mergeIssues(report.errors, sortIssues(errors));
  const allWarnings = yield* mergeIssues(report.warnings, sortIssues(warnings));
  const stats = yield* purchaseStatsSteps(purchases);
  return {
    ...report,
    errors: allErrors,
    warnings: allWarnings,
    purchases,
    summary: summarizeStats({
      rows: report.summary.rows,
      stats,
      errors: allErrors,
      warnings: allWarnings,
    }),
    referenceCheck: appliedCheck(check, options),
  };
}

/** purchaseStats in steps. */
export function* purchaseStatsSteps(purchases: PurchaseList): Steps<PurchaseStats> {
  let stats = purchaseStats([]);
  for (let from = 0; from < purchases.length; from += STEP_SIZE) {
    yield;
    stats = addStats(stats, purchaseStats(purchases, from, from + STEP_SIZE));
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
