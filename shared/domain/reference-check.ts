import { sortIssues } from './sort-issues';
import { runSteps, STEP_SIZE, type Steps } from './steps';
import { summarize } from './summary';
import { describeCandidates, resolvedKeys, skuKeyOf, userKeyOf } from './natural-keys';
import { PurchaseList, type CodeSpace } from './purchase-list';
import type {
  AppliedReferenceCheck,
  ImportReport,
  KeyResolution,
  Purchase,
  ReferenceCheck,
  RowError,
} from './types';

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
export function collectReferenceIds(report: {
  purchases: readonly Purchase[] | PurchaseList;
}): ReferenceIds {
  const { purchases } = report;
  return runSteps(
    collectReferenceIdsSteps({
      purchases: purchases instanceof PurchaseList ? purchases : PurchaseList.fromArray(purchases),
    }),
  );
}

/**
 * collectReferenceIds in steps (~0.3-0.5 s at 1M rows: main runs it in slices, issue 18).
 * `transactions: false` leaves transactionNumbers empty: the distinct transaction numbers are
 * most of the cost, and counting the file's users and SKUs does not need them.
 */
export function* collectReferenceIdsSteps(
  report: { purchases: PurchaseList },
  options: { transactions?: boolean } = {},
): Steps<ReferenceIds> {
  const withTransactions = options.transactions ?? true;
  const users = new Set<string>();
  const skus = new Set<string>();
  const transactions = new DistinctList();
  const purchases = report.purchases;
  // A packed purchase's references by code: each code's text is added the first time the code is
  // met, not looked up in the set for each of 1M items (issue 18: after every edit).
  const space = purchases.codeSpace;
  const seenUsers = new Uint8Array(space?.size ?? 0);
  const seenSkus = new Uint8Array(space?.size ?? 0);
  for (let i = 0; i < purchases.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    const userCode = purchases.userCode(i);
    if (userCode < 0) users.add(purchases.userId(i));
    else if (seenUsers[userCode] === 0) {
      seenUsers[userCode] = 1;
      users.add(purchases.userId(i));
    }
    if (withTransactions) transactions.add(purchases.transactionNumber(i));
    const items = purchases.itemCount(i);
    for (let k = 0; k < items; k++) {
      const skuCode = purchases.skuCode(i, k);
      if (skuCode < 0) skus.add(purchases.skuId(i, k));
      else if (seenSkus[skuCode] === 0) {
        seenSkus[skuCode] = 1;
        skus.add(purchases.skuId(i, k));
      }
    }
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
  const judge = new ReferenceJudge(check, options);
  const errors: RowError[] = [];
  const warnings: RowError[] = [];
  const purchases: Purchase[] = [];
  for (const p of report.purchases) if (judge.judge(p, errors, warnings)) purchases.push(p);

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
    referenceCheck: appliedCheck(check, options),
  };
}

/** The check as a report records it once applied. */
export function appliedCheck(
  check: ReferenceCheck,
  options: { skipExisting: boolean },
): AppliedReferenceCheck {
  return {
    unknownUserIds: check.unknownUserIds,
    unknownSkuIds: check.unknownSkuIds,
    existingTransactions: check.existingTransactions,
    ...(check.userKeys ? { userKeys: check.userKeys } : {}),
    ...(check.skuKeys ? { skuKeys: check.skuKeys } : {}),
    skipExisting: options.skipExisting,
  };
}

/** A reference's verdict kept by code (ReferenceJudge.passes). */
const UNJUDGED = 0;
const PASSES = 1;
const FAILS = 2;

/**
 * The reference check's rules for one purchase. A purchase is rejected when its member or one of
 * its SKUs is unknown (or its key unknown or shared) or its transaction was imported before.
 * What each member and SKU reference gets is worked out once per distinct reference, so a packed
 * list (purchase-list.ts) is judged without making its purchases (issue 18): only those rejected
 * are made, for their issues.
 */
export class ReferenceJudge {
  private readonly unknownUsers: Set<string>;
  private readonly unknownSkus: Set<string>;
  private readonly existing = new Map<string, string | null>();
  private readonly keys: ReturnType<typeof resolvedKeys>;
  private readonly users = new Map<string, Omit<RowError, 'row'> | null>();
  private readonly skus = new Map<string, Omit<RowError, 'row'> | null>();
  private readonly skipExisting: boolean;
  private codeVerdicts: { space: CodeSpace; users: Uint8Array; skus: Uint8Array } | null = null;
  private existingTest: { list: PurchaseList; test: (position: number) => boolean } | null = null;

  constructor(check: ReferenceCheck, options: { skipExisting: boolean }) {
    this.unknownUsers = new Set(check.unknownUserIds.map((id) => id.toLowerCase()));
    this.unknownSkus = new Set(check.unknownSkuIds.map((id) => id.toLowerCase()));
    for (const t of check.existingTransactions) this.existing.set(t.transactionNumber, t.batchId);
    this.keys = resolvedKeys(check);
    this.skipExisting = options.skipExisting;
  }

  /** What is wrong with a member reference (an id or a user_email key), or null. */
  userFailure(userId: string): Omit<RowError, 'row'> | null {
    let failure = this.users.get(userId);
    if (failure !== undefined) return failure;
    const userKey = userKeyOf(userId);
    failure =
      userKey !== null
        ? keyFailure('user_email', userKey, this.keys.users.get(userKey))
        : this.unknownUsers.has(userId)
          ? {
              column: 'user_id',
              code: 'unknown_user',
              message: `user_id "${userId}" is not a known user of this merchant`,
              value: userId,
            }
          : null;
    this.users.set(userId, failure);
    return failure;
  }

  /** What is wrong with a SKU reference (an id or a sku_code key), or null. */
  skuFailure(skuId: string): Omit<RowError, 'row'> | null {
    let failure = this.skus.get(skuId);
    if (failure !== undefined) return failure;
    const skuKey = skuKeyOf(skuId);
    failure =
      skuKey !== null
        ? keyFailure('sku_code', skuKey, this.keys.skus.get(skuKey))
        : this.unknownSkus.has(skuId)
          ? {
              column: 'sku_id',
              code: 'unknown_sku',
              message: `sku_id "${skuId}" is not a known SKU of this merchant`,
              value: skuId,
            }
          : null;
    this.skus.set(skuId, failure);
    return failure;
  }

  /**
   * Whether the purchase at `position` of a list passes, read without making it. A packed
   * purchase's references are judged by their codes (a verdict per code, kept while the lists
   * share their codes): each derive judged 1M items of a 1M-row file by two map lookups each
   * (issue 18). Transaction numbers imported before are compared in place (PurchaseList's
   * transactionIn) while they are few.
   */
  passes(list: PurchaseList, position: number): boolean {
    if (this.existing.size > 0 && this.isExisting(list, position)) return false;
    const verdicts = this.verdictsFor(list);
    const userCode = list.userCode(position);
    if (userCode < 0 || !verdicts) {
      if (this.userFailure(list.userId(position))) return false;
    } else {
      let verdict = verdicts.users[userCode] ?? UNJUDGED;
      if (verdict === UNJUDGED) {
        verdict = this.userFailure(list.userId(position)) ? FAILS : PASSES;
        verdicts.users[userCode] = verdict;
      }
      if (verdict === FAILS) return false;
    }
    const items = list.itemCount(position);
    for (let k = 0; k < items; k++) {
      const skuCode = list.skuCode(position, k);
      if (skuCode < 0 || !verdicts) {
        if (this.skuFailure(list.skuId(position, k))) return false;
        continue;
      }
      let verdict = verdicts.skus[skuCode] ?? UNJUDGED;
      if (verdict === UNJUDGED) {
        verdict = this.skuFailure(list.skuId(position, k)) ? FAILS : PASSES;
        verdicts.skus[skuCode] = verdict;
      }
      if (verdict === FAILS) return false;
    }
    return true;
  }

  /** Verdicts by code for the lists sharing `list`'s codes (made for the last such lists). */
  private verdictsFor(list: PurchaseList): { users: Uint8Array; skus: Uint8Array } | null {
    const space = list.codeSpace;
    if (!space) return null;
    if (this.codeVerdicts?.space !== space) {
      this.codeVerdicts = {
        space,
        users: new Uint8Array(space.size),
        skus: new Uint8Array(space.size),
      };
    }
    return this.codeVerdicts;
  }

  private isExisting(list: PurchaseList, position: number): boolean {
    if (this.existingTest?.list !== list) {
      this.existingTest = { list, test: list.transactionIn(new Set(this.existing.keys())) };
    }
    return this.existingTest.test(position);
  }

  /** Adds a purchase's issues to `errors` and `warnings`; true when it passes. */
  judge(p: Purchase, errors: RowError[], warnings: RowError[]): boolean {
    let rejected = false;
    const user = this.userFailure(p.userId);
    if (user) {
      rejected = true;
      for (const row of p.rows) errors.push({ ...user, row });
    }
    for (const item of p.items) {
      const sku = this.skuFailure(item.skuId);
      if (sku) {
        rejected = true;
        errors.push({ ...sku, row: item.row });
      }
    }
    if (this.existing.has(p.transactionNumber)) {
      rejected = true;
      const batchId = this.existing.get(p.transactionNumber) ?? null;
      const where = batchId ? ` in batch ${batchId}` : '';
      for (const row of p.rows) {
        if (this.skipExisting) {
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
    return !rejected;
  }
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
