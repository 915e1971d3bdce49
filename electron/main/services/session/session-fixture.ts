import { analyseCsvTextWithRows } from '../../../../shared/domain/analyse';
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
    local: report,
    reference: { unknownUserIds: [], unknownSkuIds, existingTransactions: [] },
    skipExisting: false,
  });
}
