import { formatCents } from '../domain/money';
import { skuKeyOf, userKeyOf, type ResolvedKeys } from '../domain/natural-keys';
import { PurchaseList } from '../domain/purchase-list';
import type { Purchase } from '../domain/types';
import type { StagedRow } from './rpc-contract';

// What a commit sends to the database: purchases cut into chunks of whole purchases, each chunk
// as staged rows (one per item). The commit orchestration (commit-import.ts) is the only caller.

/**
 * One staged row per item; the purchase fields repeat on each, money as "12.50". A member or SKU
 * named by a natural key is staged as the key plus the id the preview resolved it to (`keys`, from
 * the reference check; null when it was not resolved): the database resolves the key again under
 * the commit's lock (sql/schema/03_validation.sql). Rows of UUIDs are staged as before.
 */
export function toStagedRows(purchases: readonly Purchase[], keys?: ResolvedKeys): StagedRow[] {
  const rows: StagedRow[] = [];
  for (const p of purchases) {
    const total = formatCents(p.totalAmountCents);
    const userEmail = userKeyOf(p.userId);
    const user =
      userEmail === null
        ? { user_id: p.userId }
        : { user_id: keys?.users.get(userEmail)?.id ?? null, user_email: userEmail };
    for (const item of p.items) {
      const skuCode = skuKeyOf(item.skuId);
      rows.push({
        row: item.row,
        transaction_number: p.transactionNumber,
        ...user,
        purchased_at: p.purchasedAt,
        ...(skuCode === null
          ? { sku_id: item.skuId }
          : { sku_id: keys?.skus.get(skuCode)?.id ?? null, sku_code: skuCode }),
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
  // The rule is the purchase list's, which the commit cuts by (purchase-list.ts).
  const chunks = PurchaseList.fromArray(purchases).chunks(maxRows);
  return Array.from({ length: chunks.length }, (_, index) => chunks.at(index));
}
