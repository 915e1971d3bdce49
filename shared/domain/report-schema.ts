import { z } from 'zod';
import { sourceInfoSchema } from '../sources/records';
import {
  CANONICAL_COLUMNS,
  type CanonicalColumn,
  type ErrorCode,
  type ImportReport,
  type RawRow,
} from './types';

/** zod schemas for the report types, for every edge a report crosses (worker, IPC). */

const canonicalColumn = z.enum(
  CANONICAL_COLUMNS as unknown as [CanonicalColumn, ...CanonicalColumn[]],
);

export const ERROR_CODES = [
  'missing_columns',
  'unknown_column',
  'duplicate_column',
  'empty_file',
  'malformed_csv',
  'required',
  'invalid_uuid',
  'invalid_integer',
  'out_of_range',
  'invalid_amount',
  'too_many_decimals',
  'ambiguous_number',
  'invalid_date',
  'ambiguous_date',
  'missing_time_zone',
  'invalid_currency',
  'too_long',
  'invalid_email',
  'inconsistent_purchase',
  'total_mismatch',
  'unknown_user',
  'unknown_sku',
  'ambiguous_key',
  'key_changed',
  'already_imported',
  'conflict',
] as const satisfies readonly ErrorCode[];

// Fails to compile when types.ts gains a code this list lacks.
type Missing = Exclude<ErrorCode, (typeof ERROR_CODES)[number]>;
const complete: [Missing] extends [never] ? true : Missing = true;
void complete;

const errorCode = z.enum(ERROR_CODES);

export const rowErrorSchema = z.object({
  row: z.number().int(),
  column: z.string().nullable(),
  code: errorCode,
  message: z.string(),
  value: z.string().nullable(),
  severity: z.enum(['error', 'warning']).optional(),
});

const cents = z.number().int();

export const purchaseSchema = z.object({
  transactionNumber: z.string(),
  userId: z.string(),
  purchasedAt: z.string(),
  currency: z.string().nullable(),
  totalAmountCents: cents,
  storeCode: z.string().nullable(),
  notes: z.string().nullable(),
  rows: z.array(z.number().int()),
  items: z.array(
    z.object({
      row: z.number().int(),
      lineNumber: z.number().int(),
      skuId: z.string(),
      quantity: z.number().int(),
      unitPriceCents: cents,
      notes: z.string().nullable().optional(),
    }),
  ),
});

const countsByCode = z.partialRecord(errorCode, z.number().int());

export const importSummarySchema = z.object({
  rows: z.number().int(),
  purchases: z.number().int(),
  items: z.number().int(),
  totalAmountCents: cents,
  firstPurchasedAt: z.string().nullable(),
  lastPurchasedAt: z.string().nullable(),
  errorRows: z.number().int(),
  errorsByCode: countsByCode,
  warningsByCode: countsByCode.optional(),
});

export const importSettingsSchema = z.object({
  source: sourceInfoSchema,
  decimalComma: z.boolean(),
  dateFormat: z.enum(['iso', 'dmy', 'mdy']),
  timeZone: z.string().nullable(),
  defaultCurrency: z.string().nullable(),
  fillOrderFields: z.boolean().optional(),
});

const keyResolutionSchema = z.object({
  key: z.string(),
  id: z.string().nullable(),
  name: z.string().nullable(),
  candidates: z.array(z.object({ id: z.string(), name: z.string().nullable() })),
});

export const importReportSchema = z.object({
  fileName: z.string(),
  fileSha256: z.string(),
  headers: z.array(z.string()),
  mapping: z.partialRecord(canonicalColumn, z.string()),
  errors: z.array(rowErrorSchema),
  warnings: z.array(rowErrorSchema),
  purchases: z.array(purchaseSchema),
  summary: importSummarySchema,
  settings: importSettingsSchema.optional(),
  referenceCheck: z
    .object({
      unknownUserIds: z.array(z.string()),
      unknownSkuIds: z.array(z.string()),
      existingTransactions: z.array(
        z.object({ transactionNumber: z.string(), batchId: z.string().nullable() }),
      ),
      userKeys: z.array(keyResolutionSchema).optional(),
      skuKeys: z.array(keyResolutionSchema).optional(),
      skipExisting: z.boolean(),
    })
    .optional(),
}) satisfies z.ZodType<ImportReport>;

export const rawRowSchema = z.object({
  row: z.number().int(),
  cells: z.record(canonicalColumn, z.string()),
}) satisfies z.ZodType<RawRow>;
