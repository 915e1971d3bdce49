import type { ReferenceIds } from './reference-check';
import type { ReferenceCheck } from './types';

// A file exported for another merchant shows as most of its ids being unknown. Recording that as
// a failed batch costs a staged copy of every row (two minutes and a million rows at 1M), and the
// answer is almost always "wrong merchant chosen": say so before anything is written.

export interface ForeignIds {
  users: { unknown: number; total: number };
  skus: { unknown: number; total: number };
}

/** At least this many unknown ids of a kind, and at least half of that kind. */
const MIN_UNKNOWN = 3;

export function wrongMerchantSignal(
  ids: Pick<ReferenceIds, 'userIds' | 'skuIds' | 'userEmails' | 'skuCodes'>,
  reference: Pick<ReferenceCheck, 'unknownUserIds' | 'unknownSkuIds' | 'userKeys' | 'skuKeys'>,
): ForeignIds | null {
  // Natural keys count with ids: an e-mail or code nobody of the merchant has is unknown.
  const unknownKeys = (keys: ReferenceCheck['userKeys']): number =>
    (keys ?? []).filter((k) => k.id === null && k.candidates.length === 0).length;
  const users = {
    unknown: reference.unknownUserIds.length + unknownKeys(reference.userKeys),
    total: ids.userIds.length + (ids.userEmails?.length ?? 0),
  };
  const skus = {
    unknown: reference.unknownSkuIds.length + unknownKeys(reference.skuKeys),
    total: ids.skuIds.length + (ids.skuCodes?.length ?? 0),
  };
  const mostly = (kind: { unknown: number; total: number }): boolean =>
    kind.unknown >= MIN_UNKNOWN && kind.unknown * 2 >= kind.total;
  return mostly(users) || mostly(skus) ? { users, skus } : null;
}

/** "None of the 20 SKU ids and 151 of the 151 user ids in the file belong to Harbor Bakery". */
export function describeForeignIds(foreign: ForeignIds, merchantName: string): string {
  const part = (kind: { unknown: number; total: number }, noun: string): string | null => {
    if (kind.unknown === 0) return null;
    const ids = `${kind.total.toLocaleString('en')} ${noun} ${kind.total === 1 ? 'id' : 'ids'}`;
    return kind.unknown === kind.total
      ? `${kind.total === 1 ? 'the' : kind.total === 2 ? 'both' : 'all'} ${ids}`
      : `${kind.unknown.toLocaleString('en')} of the ${ids}`;
  };
  const parts = [part(foreign.skus, 'SKU'), part(foreign.users, 'user')].filter(
    (p): p is string => p !== null,
  );
  const one = foreign.skus.unknown + foreign.users.unknown === 1;
  return (
    `${parts.join(' and ')} in the file ${one ? 'is' : 'are'} unknown to ` +
    `${merchantName}: is this the right merchant?`
  ).replace(/^./, (c) => c.toUpperCase());
}
