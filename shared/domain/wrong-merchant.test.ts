import { describe, expect, it } from 'vitest';
import { describeForeignIds, wrongMerchantSignal } from './wrong-merchant';

const ids = (n: number, tag: string): string[] => Array.from({ length: n }, (_, i) => `${tag}${i}`);

describe('wrongMerchantSignal', () => {
  it('flags a file whose SKU ids are mostly unknown to the merchant', () => {
    const signal = wrongMerchantSignal(
      { userIds: ids(150, 'u'), skuIds: ids(20, 's') },
      { unknownUserIds: [], unknownSkuIds: ids(20, 's') },
    );
    expect(signal).toEqual({ users: { unknown: 0, total: 150 }, skus: { unknown: 20, total: 20 } });
  });

  it('leaves a file with a few unknown ids to the usual per-row errors', () => {
    expect(
      wrongMerchantSignal(
        { userIds: ids(150, 'u'), skuIds: ids(20, 's') },
        { unknownUserIds: ids(2, 'u'), unknownSkuIds: ids(2, 's') },
      ),
    ).toBeNull();
    // Half of a tiny file is still only two ids: a typo, not a merchant mix-up.
    expect(
      wrongMerchantSignal(
        { userIds: ids(2, 'u'), skuIds: ids(4, 's') },
        { unknownUserIds: ids(2, 'u'), unknownSkuIds: ids(2, 's') },
      ),
    ).toBeNull();
  });

  it('says what is unknown, to which merchant, as a question', () => {
    expect(
      describeForeignIds(
        { users: { unknown: 151, total: 151 }, skus: { unknown: 20, total: 20 } },
        'Harbor Bakery',
      ),
    ).toBe(
      'All 20 SKU ids and all 151 user ids in the file are unknown to Harbor Bakery: is this the right merchant?',
    );
    expect(
      describeForeignIds(
        { users: { unknown: 0, total: 151 }, skus: { unknown: 15, total: 20 } },
        'Demo Coffee Co.',
      ),
    ).toBe(
      '15 of the 20 SKU ids in the file are unknown to Demo Coffee Co.: is this the right merchant?',
    );
  });
});
