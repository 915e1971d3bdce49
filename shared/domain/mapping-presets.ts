import { normalizeHeader } from '../csv/column-mapping';
import type { CanonicalColumn } from './types';

/**
 * Mapping presets: saved templates shipped with the app for exports staff really have (issue 13).
 * A preset maps an export's own headers onto the canonical columns, says which of its columns are
 * deliberately not imported, and whether the export gives the order's fields on its first row
 * only (then choosing the preset turns on "Order fields on first row only").
 */
export interface MappingPreset {
  /** Stable identifier, also what `--template` takes on the command line. */
  id: string;
  name: string;
  description: string;
  mapping: Partial<Record<CanonicalColumn, string>>;
  /** The export's columns that are not imported, and why (the README lists them). */
  ignored: { header: string; why: string }[];
  fillOrderFields: boolean;
}

/**
 * Shopify's orders export (Admin → Orders → Export, "Plain CSV file"): one row per line item, the
 * order's fields (Email, Paid at, Currency, totals…) on the order's first row only. The purchase
 * total is the sum of its items (quantity × Lineitem price): Total includes shipping and taxes
 * and subtracts discounts, and Subtotal subtracts discounts, so neither is the sum of the items;
 * both map to nothing.
 */
export const SHOPIFY_ORDERS: MappingPreset = {
  id: 'shopify-orders',
  name: 'Shopify orders export',
  description:
    'One row per line item, order fields on the first row of each order; members by e-mail, SKUs by code',
  mapping: {
    transaction_number: 'Name',
    user_email: 'Email',
    purchased_at: 'Paid at',
    currency: 'Currency',
    quantity: 'Lineitem quantity',
    unit_price: 'Lineitem price',
    sku_code: 'Lineitem sku',
    store_code: 'Location',
    // Mapped to nothing on purpose ('' = not in this file), although their headers would match.
    total_amount: '',
    notes: '',
  },
  ignored: [
    { header: 'Subtotal', why: 'after discounts: not the sum of the items' },
    { header: 'Shipping', why: 'not a line item' },
    { header: 'Taxes', why: 'not a line item' },
    { header: 'Total', why: 'includes shipping and taxes, subtracts discounts' },
    { header: 'Discount Code', why: 'discounts are not imported' },
    { header: 'Discount Amount', why: 'discounts are not imported' },
    { header: 'Lineitem discount', why: 'discounts are not imported' },
    { header: 'Lineitem compare at price', why: 'a list price, not what was paid' },
    { header: 'Lineitem name', why: 'the SKU is found by its code' },
    { header: 'Created at', why: 'the purchase time is Paid at' },
    { header: 'Financial Status', why: 'status columns are not imported' },
    { header: 'Fulfillment Status', why: 'status columns are not imported' },
    { header: 'Refunded Amount', why: 'refunds are not imported' },
    { header: 'Billing and Shipping address columns', why: 'addresses are not imported' },
    { header: 'Notes', why: "the order's note, on its first row only" },
    { header: 'Note Attributes, Tags, Id and the other columns', why: 'not part of a purchase' },
  ],
  fillOrderFields: true,
};

export const MAPPING_PRESETS: readonly MappingPreset[] = [SHOPIFY_ORDERS];

/** A preset by id or name (case, spaces and punctuation ignored), or null. */
export function findPreset(nameOrId: string): MappingPreset | null {
  const key = normalizeHeader(nameOrId);
  return (
    MAPPING_PRESETS.find((p) => normalizeHeader(p.id) === key || normalizeHeader(p.name) === key) ??
    null
  );
}

/** The preset whose every mapped header the file has (an export of that kind), or null. */
export function presetForHeaders(headers: readonly string[]): MappingPreset | null {
  const present = new Set(headers.map(normalizeHeader));
  return (
    MAPPING_PRESETS.find((p) =>
      Object.values(p.mapping).every((h) => h === '' || present.has(normalizeHeader(h))),
    ) ?? null
  );
}

/** The presets as the mapping step lists templates (ids "preset:…", never saved or deleted). */
export function presetTemplates(): {
  id: string;
  name: string;
  mapping: Partial<Record<CanonicalColumn, string>>;
  headers: string[];
  savedAt: string;
  preset: { description: string; ignored: string[] };
  fillOrderFields: boolean;
}[] {
  return MAPPING_PRESETS.map((p) => ({
    id: `preset:${p.id}`,
    name: `${p.name} (preset)`,
    mapping: p.mapping,
    headers: Object.values(p.mapping).filter((h) => h !== ''),
    savedAt: '',
    preset: { description: p.description, ignored: p.ignored.map((i) => i.header) },
    fillOrderFields: p.fillOrderFields,
  }));
}
