import { sortIssues } from './sort-issues';
import { runSteps, STEP_SIZE, type Steps } from './steps';
import { summarize } from './summary';
import type { ImportReport, Purchase, ReferenceCheck, RowError } from './types';

/**
 * The database half of validation: which ids are unknown to the merchant and which transactions
 * were imported before. Apply it to the locally validated report (from analyse or revalidate);
 * purchases it rejects leave `purchases`, so re-checking means re-applying to that local report.
 */

export interface ReferenceIds {
  userIds: string[];
  skuIds: string[];
  transactionNumbers: string[];
}

/** Distinct ids of the importable purchases, in first-seen order, for import_check_references. */
export function collectReferenceIds(report: Pick<ImportReport, 'purchases'>): ReferenceIds {
  return runSteps(collectReferenceIdsSteps(report));
}

/**
 * collectReferenceIds in steps (~0.3-0.5 s at 1M rows: main runs it in slices, issue 18).
 * `transactions: false` leaves transactionNumbers empty: the distinct transaction numbers are
 * most of the cost, and counting the file's users and SKUs does not need them.
 */
export function* collectReferenceIdsSteps(
  report: Pick<ImportReport, 'purchases'>,
  options: { transactions?: boolean } = {},
): Steps<ReferenceIds> {
  const withTransactions = options.transactions ?? true;
  const users = new Set<string>();
  const skus = new Set<string>();
  const transactions = new DistinctList();
  const purchases = report.purchases;
  for (let i = 0; i < purchases.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    const p = purchases[i] as Purchase;
    users.add(p.userId);
    if (withTransactions) transactions.add(p.transactionNumber);
    for (const item of p.items) skus.add(item.skuId);
  }
  yield;
  return { userIds: [...users], skuIds: [...skus], transactionNumbers: transactions.values };
}

/**
 * Distinct strings in first-seen order, kept in sets of at most SET_LIMIT: one Set of 300k
 * transaction numbers rehashed in a single add (~70 ms, a block of main), issue 18.
 */
class DistinctList {
  private static readonly SET_LIMIT = 1 << 16;
  readonly values: string[] = [];
  private readonly sets: Set<string>[] = [new Set()];
  add(value: string): void {
    for (const set of this.sets) if (set.has(value)) return;
    let last = this.sets[this.sets.length - 1] as Set<string>;
    if (last.size >= DistinctList.SET_LIMIT) {
      last = new Set();
      this.sets.push(last);
    }
    last.add(value);
    this.values.push(value);
  }
}

export function applyReferenceCheck(
  report: ImportReport,
  check: ReferenceCheck,
  options: { skipExisting: boolean },
): ImportReport {
  const unknownUsers = new Set(check.unknownUserIds.map((id) => id.toLowerCase()));
  const unknownSkus = new Set(check.unknownSkuIds.map((id) => id.toLowerCase()));
  const existing = new Map<string, string | null>();
  for (const t of check.existingTransactions) existing.set(t.transactionNumber, t.batchId);

  const errors: RowError[] = [];
  const warnings: RowError[] = [];
  const purchases: Purchase[] = [];
  for (const p of report.purchases) {
    let rejected = false;
    if (unknownUsers.has(p.userId)) {
      rejected = true;
      for (const row of p.rows) {
        errors.push({
          row,
          column: 'user_id',
          code: 'unknown_user',
          message: `user_id "${p.userId}" is not a known user of this merchant`,
          value: p.userId,
        });
      }
    }
    for (const item of p.items) {
      if (unknownSkus.has(item.skuId)) {
        rejected = true;
        errors.push({
          row: item.row,
          column: 'sku_id',
          code: 'unknown_sku',
          message: `sku_id "${item.skuId}" is not a known SKU of this merchant`,
          value: item.skuId,
        });
      }
    }
    if (existing.has(p.transactionNumber)) {
      rejected = true;
      const batchId = existing.get(p.transactionNumber) ?? null;
      const where = batchId ? ` in batch ${batchId}` : '';
      for (const row of p.rows) {
        if (options.skipExisting) {
          warnings.push({
            row,
            column: 'transaction_number',
            code: 'already_imported',
            message: `transaction_number "${p.transactionNumber}" was already imported${where}; skipped`,
            value: p.transactionNumber,
            severity: 'warning',
          });
        } else {
          errors.push({
            row,
            column: 'transaction_number',
            code: 'already_imported',
            message: `transaction_number "${p.transactionNumber}" was already imported${where}`,
            value: p.transactionNumber,
          });
        }
      }
    }
    if (!rejected) purchases.push(p);
  }

  const allErrors = sortIssues([...report.errors, ...errors]);
  const allWarnings = sortIssues([...report.warnings, ...warnings]);
  return {
    ...report,
    errors: allErrors,
    warnings: allWarnings,
    purchases,
    summary: summarize({
      rows: report.summary.rows,
      purchases,
      errors: allErrors,
      warnings: allWarnings,
    }),
    referenceCheck: {
      unknownUserIds: check.unknownUserIds,
      unknownSkuIds: check.unknownSkuIds,
      existingTransactions: check.existingTransactions,
      skipExisting: options.skipExisting,
    },
  };
}
