import { sortIssues } from './sort-issues';
import { runSteps, STEP_SIZE, type Steps } from './steps';
import { summarize } from './summary';
import { describeCandidates, resolvedKeys, skuKeyOf, userKeyOf } from './natural-keys';
import type { ImportReport, KeyResolution, Purchase, ReferenceCheck, RowError } from './types';

/**
 * The database half of validation: which ids are unknown to the merchant and which transactions
 * were imported before. Apply it to the locally validated report (from analyse or revalidate);
 * purchases it rejects leave `purchases`, so re-checking means re-applying to that local report.
 */

export interface ReferenceIds {
  userIds: string[];
  skuIds: string[];
  transactionNumbers: string[];
  /** Natural keys (issue 13): the file's distinct user_email and sku_code values. */
  userEmails?: string[];
  skuCodes?: string[];
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
  return { ...splitKeys(users, skus), transactionNumbers: transactions.values };
}

/** The references as the RPC takes them: UUIDs apart from natural keys (natural-keys.ts). */
function splitKeys(
  users: ReadonlySet<string>,
  skus: ReadonlySet<string>,
): Omit<ReferenceIds, 'transactionNumbers'> {
  const userIds: string[] = [];
  const userEmails: string[] = [];
  for (const ref of users) {
    const key = userKeyOf(ref);
    if (key === null) userIds.push(ref);
    else userEmails.push(key);
  }
  const skuIds: string[] = [];
  const skuCodes: string[] = [];
  for (const ref of skus) {
    const key = skuKeyOf(ref);
    if (key === null) skuIds.push(ref);
    else skuCodes.push(key);
  }
  // Keys only when the file has some: a file of UUIDs asks exactly what it asked before.
  return {
    userIds,
    skuIds,
    ...(userEmails.length > 0 ? { userEmails } : {}),
    ...(skuCodes.length > 0 ? { skuCodes } : {}),
  };
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
  const keys = resolvedKeys(check);

  const errors: RowError[] = [];
  const warnings: RowError[] = [];
  const purchases: Purchase[] = [];
  for (const p of report.purchases) {
    let rejected = false;
    const userKey = userKeyOf(p.userId);
    if (userKey !== null) {
      const failure = keyFailure('user_email', userKey, keys.users.get(userKey));
      if (failure) {
        rejected = true;
        for (const row of p.rows) errors.push({ ...failure, row });
      }
    } else if (unknownUsers.has(p.userId)) {
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
      const skuKey = skuKeyOf(item.skuId);
      if (skuKey !== null) {
        const failure = keyFailure('sku_code', skuKey, keys.skus.get(skuKey));
        if (failure) {
          rejected = true;
          errors.push({ ...failure, row: item.row });
        }
      } else if (unknownSkus.has(item.skuId)) {
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
      ...(check.userKeys ? { userKeys: check.userKeys } : {}),
      ...(check.skuKeys ? { skuKeys: check.skuKeys } : {}),
      skipExisting: options.skipExisting,
    },
  };
}

/**
 * Why a natural key cannot be used, or null when it names exactly one member or SKU. A key the
 * check never saw (absent from its answer) is unknown: the check is asked for every key.
 */
function keyFailure(
  column: 'user_email' | 'sku_code',
  key: string,
  resolution: KeyResolution | undefined,
): Omit<RowError, 'row'> | null {
  if (resolution?.id) return null;
  const what = column === 'user_email' ? 'members' : 'SKUs';
  if (resolution && resolution.candidates.length > 0) {
    return {
      column,
      code: 'ambiguous_key',
      message: `${column} "${key}" is shared by ${resolution.candidates.length} ${what} of this merchant: ${describeCandidates(resolution)}; make it unique in the CRM, or give ${column === 'user_email' ? 'user_id' : 'sku_id'}`,
      value: key,
    };
  }
  return {
    column,
    code: column === 'user_email' ? 'unknown_user' : 'unknown_sku',
    message:
      column === 'user_email'
        ? `user_email "${key}" is not a member of this merchant`
        : `sku_code "${key}" is not a SKU of this merchant`,
    value: key,
  };
}
