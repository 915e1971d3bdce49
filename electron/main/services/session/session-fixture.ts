import { analyseCsvTextWithRows } from '../../../../shared/domain/analyse';
import { packPurchases } from '../../../../shared/domain/packed-report';
import { PurchaseList } from '../../../../shared/domain/purchase-list';
import { RowStore } from '../../../../shared/domain/row-store';
import { ImportSession } from './import-session';

/** For unit tests: a session over CSV text, as opened from "f.csv", with these SKU ids unknown. */
export function openTestSession(csv: string, unknownSkuIds: string[]): ImportSession {
  const { report, rawRows = [] } = analyseCsvTextWithRows(
    csv,
    {},
    { fileName: 'f.csv', keepRows: true },
  );
  return new ImportSession('s1', '/tmp/f.csv', 'f.csv', 1, {
    rows: RowStore.fromRows(rawRows),
    // Packed, as the app's session keeps them (issue 18).
    local: { ...report, purchases: PurchaseList.fromPacked(packPurchases(report.purchases)) },
    reference: { unknownUserIds: [], unknownSkuIds, existingTransactions: [] },
    skipExisting: false,
  });
}
