import { describe, expect, it } from 'vitest';
import { collectReferenceIds } from './reference-check';
import type { Purchase } from './types';

const U = '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01';
const S = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';

function purchase(transactionNumber: string): Purchase {
  return {
    transactionNumber,
    userId: U,
    purchasedAt: '2026-03-04T10:15:00.000Z',
    currency: null,
    totalAmountCents: 100,
    storeCode: null,
    notes: null,
    rows: [2],
    items: [{ row: 2, lineNumber: 1, skuId: S, quantity: 1, unitPriceCents: 100 }],
  };
}

describe('collectReferenceIds at scale', () => {
  it('lists 200k transaction numbers once each, in first-seen order, repeats far apart', () => {
    // Kept in several sets past 65,536 (issue 18): a repeat must be found in any of them.
    const numbers = Array.from({ length: 200_000 }, (_, i) => `T${i}`);
    const repeats = [0, 1, 65_535, 65_536, 65_537, 131_072, 199_999].map((i) => `T${i}`);
    const ids = collectReferenceIds({ purchases: [...numbers, ...repeats].map(purchase) });
    expect(ids.transactionNumbers).toEqual(numbers);
    expect(ids.userIds).toEqual([U]);
    expect(ids.skuIds).toEqual([S]);
  });
});
