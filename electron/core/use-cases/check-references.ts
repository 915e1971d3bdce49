import type { ImportRpc } from '../../../shared/db/import-rpc';
import { keyResolutionsOf } from '../../../shared/domain/natural-keys';
import type { ReferenceIds } from '../../../shared/domain/reference-check';
import type { ReferenceCheck } from '../../../shared/domain/types';

/**
 * The database half of validation: which of these ids the merchant does not know and which
 * transactions it already holds, and what each natural key (e-mail, SKU code) names. Nothing to
 * ask about asks nothing (an empty file, an edit that removed every purchase it touched).
 * `names`: also the names of the keys' members and SKUs (for the cells on screen; a whole file's
 * keys are resolved without them).
 */
export async function checkReferences(
  rpc: ImportRpc,
  merchantId: string,
  ids: ReferenceIds,
  options: { names?: boolean } = {},
): Promise<ReferenceCheck> {
  const keys = (ids.userEmails?.length ?? 0) + (ids.skuCodes?.length ?? 0);
  if (ids.userIds.length + ids.skuIds.length + ids.transactionNumbers.length + keys === 0) {
    return { unknownUserIds: [], unknownSkuIds: [], existingTransactions: [] };
  }
  const answer = await rpc.call('import_check_references', {
    p_merchant_id: merchantId,
    p_user_ids: ids.userIds,
    p_sku_ids: ids.skuIds,
    p_transaction_numbers: ids.transactionNumbers,
    // Natural keys (issue 13), resolved by the same call; a file of UUIDs sends none.
    ...(ids.userEmails?.length ? { p_user_emails: ids.userEmails } : {}),
    ...(ids.skuCodes?.length ? { p_sku_codes: ids.skuCodes } : {}),
    ...(options.names ? { p_key_names: true } : {}),
  });
  const userKeys = keyResolutionsOf(
    ids.userEmails,
    answer.userKeyIds,
    answer.userKeyNames,
    answer.sharedUserKeys,
  );
  const skuKeys = keyResolutionsOf(
    ids.skuCodes,
    answer.skuKeyIds,
    answer.skuKeyNames,
    answer.sharedSkuKeys,
  );
  return {
    unknownUserIds: answer.unknownUserIds,
    unknownSkuIds: answer.unknownSkuIds,
    existingTransactions: answer.existingTransactions,
    ...(userKeys ? { userKeys } : {}),
    ...(skuKeys ? { skuKeys } : {}),
  };
}
