import { createHash } from 'node:crypto';

// The sandbox's demo CRM. Ids are derived from names so the committed sample CSVs keep matching
// a sandbox created on any machine, at any time.

export function stableUuid(name: string): string {
  const hex = createHash('sha256').update(`purchase-import-demo:${name}`).digest('hex');
  // Shape it as an RFC 4122 version 4 uuid (version nibble 4, variant 10xx).
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface DemoMerchant {
  id: string;
  name: string;
  users: { id: string; email: string }[];
  skus: { id: string; code: string; name: string }[];
}

const PRODUCTS = [
  'Espresso',
  'Cappuccino',
  'Flat White',
  'Green Tea',
  'Croissant',
  'Bagel',
  'Muffin',
  'Orange Juice',
  'Sparkling Water',
  'Granola Bowl',
  'Club Sandwich',
  'Caesar Salad',
  'Brownie',
  'Cheesecake',
  'Iced Latte',
  'Hot Chocolate',
  'Chai Latte',
  'Smoothie',
  'Tote Bag',
  'Travel Mug',
];

function buildMerchant(key: string, name: string, userCount: number): DemoMerchant {
  return {
    id: stableUuid(`merchant:${key}`),
    name,
    users: Array.from({ length: userCount }, (_, i) => ({
      id: stableUuid(`${key}:user:${i + 1}`),
      email: `member${String(i + 1).padStart(3, '0')}@${key}.example`,
    })),
    skus: PRODUCTS.map((product, i) => ({
      id: stableUuid(`${key}:sku:${i + 1}`),
      code: `${key.toUpperCase().slice(0, 3)}-${String(i + 1).padStart(4, '0')}`,
      name: product,
    })),
  };
}

/** The merchant the samples belong to, and a second one to show that ids are scoped. */
export const DEMO_MERCHANTS: readonly DemoMerchant[] = [
  buildMerchant('demo', 'Demo Coffee Co.', 200),
  buildMerchant('harbor', 'Harbor Bakery', 50),
];

export const DEMO_MERCHANT = DEMO_MERCHANTS[0] as DemoMerchant;
