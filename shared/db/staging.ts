import { formatCents } from '../domain/money';
import type { Purchase } from '../domain/types';
import type { StagedRow } from './rpc-contract';

// What a commit sends to the database: purchases cut into chunks of whole purchases, each chunk
// as staged rows (one per item). The commit orchestration (commit-import.ts) is the only caller.

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
