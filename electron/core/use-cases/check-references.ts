import type { ImportRpc } from '../../../shared/db/import-rpc';
import type { ReferenceIds } from '../../../shared/domain/reference-check';
import type { ReferenceCheck } from '../../../shared/domain/types';

/**
 * The database half of validation: which of these ids the merchant does not know and which
 * transactions it already holds. Nothing to ask about asks nothing (an empty file, an edit that
 * removed every purchase it touched).
 */
export async function checkReferences(
  rpc: ImportRpc,
  merchantId: string,
  ids: ReferenceIds,
): Promise<ReferenceCheck> {
  if (ids.userIds.length + ids.skuIds.length + ids.transactionNumbers.length === 0) {
    return { unknownUserIds: [], unknownSkuIds: [], existingTransactions: [] };
  }
  return rpc.call('import_check_references', {
    p_merchant_id: merchantId,
    p_user_ids: ids.userIds,
    p_sku_ids: ids.skuIds,
    p_transaction_numbers: ids.transactionNumbers,
    // Natural keys (issue 13), resolved by the same call; a file of UUIDs sends none.
    ...(ids.userEmails?.length ? { p_user_emails: ids.userEmails } : {}),
    ...(ids.skuCodes?.length ? { p_sku_codes: ids.skuCodes } : {}),
  });
}
