import type { StagedRow } from '../db/rpc-contract';
import { formatCents } from './money';
import { sortIssues } from './sort-issues';
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
  const users = new Set<string>();
  const skus = new Set<string>();
  const transactions = new Set<string>();
  for (const p of report.purchases) {
    users.add(p.userId);
    transactions.add(p.transactionNumber);
    for (const item of p.items) skus.add(item.skuId);
  }
  return { userIds: [...users], skuIds: [...skus], transactionNumbers: [...transactions] };
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

/** One staged row per item; the purchase fields repeat on each, money as "12.50". */
export function toStagedRows(purchases: readonly Purchase[]): StagedRow[] {
  const rows: StagedRow[] = [];
  for (const p of purchases) {
    const total = formatCents(p.totalAmountCents);
    for (const item of p.items) {
      rows.push({
        row: item.row,
        transaction_number: p.transactionNumber,
        user_id: p.userId,
        purchased_at: p.purchasedAt,
        sku_id: item.skuId,
        quantity: item.quantity,
        unit_price: formatCents(item.unitPriceCents),
        currency: p.currency,
        total_amount: total,
        store_code: p.storeCode,
        notes: item.notes === undefined ? p.notes : item.notes,
      });
    }
  }
  return rows;
}

/**
 * Whole purchases per chunk, at most maxRows items each, so a chunk can be staged (and retried)
 * on its own without splitting a purchase; a purchase larger than maxRows gets a chunk alone.
 */
export function chunkPurchases(purchases: readonly Purchase[], maxRows: number): Purchase[][] {
  if (!Number.isInteger(maxRows) || maxRows < 1) {
    throw new RangeError(`maxRows must be a positive integer, got ${maxRows}`);
  }
  const chunks: Purchase[][] = [];
  let current: Purchase[] = [];
  let size = 0;
  for (const p of purchases) {
    const n = p.items.length;
    if (current.length > 0 && size + n > maxRows) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(p);
    size += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
