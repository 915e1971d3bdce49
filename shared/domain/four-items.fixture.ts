import { analyseCsvText } from './analyse';

// A small valid file the unit tests of the reference check and of staging share: three
// purchases, four items, two members, two SKUs (T1 with two items and a total, T2 without a
// currency or total).

export const U1 = '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01';
export const U2 = '1b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b02';
export const S1 = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';
export const S2 = '7f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e6';
export const AT = '2026-03-04T10:15:00Z';

const fourItemsCsv = [
  'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price,currency,total_amount,store_code,notes',
  `T1,${U1},${AT},${S1},2,12.50,EUR,35.00,S1,gift`,
  `T1,${U1},${AT},${S2},1,10,EUR,35.00,S1,`,
  `T2,${U2},${AT},${S1},1,1.99,,,S1,`,
  `T3,${U1},${AT},${S2},3,0.10,EUR,,S2,`,
].join('\n');

export const fourItemsReport = analyseCsvText(fourItemsCsv, {}, 'r.csv');
