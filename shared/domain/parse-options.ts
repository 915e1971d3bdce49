import { z } from 'zod';
import type { SourceInfo } from '../sources/records';
import { isValidTimeZone } from './timestamp';
import {
  CANONICAL_COLUMNS,
  FILE_ENCODINGS,
  type CanonicalColumn,
  type ImportSettings,
  type ParseOptions,
} from './types';
import { knownCurrencies } from './validate-row';

const csvSourceOptionsSchema = z.object({
  encoding: z.enum(FILE_ENCODINGS).optional(),
  delimiter: z.enum([',', ';', '\t', '|']).optional(),
});

const xlsxSourceOptionsSchema = z.object({
  sheet: z.string().min(1).max(31).optional(),
});

/** ParseOptions without their source options: how values are read, whatever the format. */
const valueOptionsShape = {
  decimalComma: z.boolean().optional(),
  dateFormat: z.enum(['iso', 'dmy', 'mdy']).optional(),
  timeZone: z
    .string()
    .refine(isValidTimeZone, { error: (iss) => `unknown time zone "${String(iss.input)}"` })
    .optional(),
  columnMapping: z
    .partialRecord(
      z.enum(CANONICAL_COLUMNS as unknown as [CanonicalColumn, ...CanonicalColumn[]]),
      z.string(),
    )
    .optional(),
  defaultCurrency: z
    .string()
    .transform((c) => c.toUpperCase())
    .refine((c) => knownCurrencies().has(c), {
      error: (iss) => `unknown currency "${String(iss.input)}"`,
    })
    .optional(),
  // Order fields on the first row only (shared/domain/fill-down.ts), never assumed.
  fillOrderFields: z.boolean().optional(),
};

const parseOptionsObject = z.object({
  ...valueOptionsShape,
  csv: csvSourceOptionsSchema.optional(),
  xlsx: xlsxSourceOptionsSchema.optional(),
});

/**
 * Options of the shape before record sources (delimiter and encoding at the top, as older
 * windows and scripts send them) are moved into the CSV source's options, so they keep working.
 * A top-level value never overrides one already given in `csv`.
 */
export function migrateParseOptions(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const { delimiter, encoding, ...rest } = raw as Record<string, unknown>;
  if (delimiter === undefined && encoding === undefined) return raw;
  const csv =
    typeof rest.csv === 'object' && rest.csv !== null ? (rest.csv as Record<string, unknown>) : {};
  return {
    ...rest,
    csv: {
      ...(delimiter !== undefined ? { delimiter } : {}),
      ...(encoding !== undefined ? { encoding } : {}),
      ...csv,
    },
  };
}

/** ParseOptions as they cross an edge (IPC, worker message, CLI), old shapes migrated. */
export const parseOptionsSchema = z.preprocess(
  migrateParseOptions,
  parseOptionsObject,
) satisfies z.ZodType<ParseOptions>;

/** ParseOptions for reading the open file again: its column mapping is kept. */
export const reparseOptionsSchema = z.preprocess(
  migrateParseOptions,
  parseOptionsObject.omit({ columnMapping: true }),
);

/**
 * Defaults applied where the user chose nothing. Decimal comma defaults on only for ';' files:
 * that is the convention of the locales whose spreadsheets write ';' because ',' is their
 * decimal separator; in any other file "12,50" stays ambiguous and is refused.
 */
export function resolveSettings(options: ParseOptions, source: SourceInfo): ImportSettings {
  return {
    source,
    decimalComma: options.decimalComma ?? (source.format === 'csv' && source.delimiter === ';'),
    dateFormat: options.dateFormat ?? 'iso',
    timeZone: options.timeZone ?? null,
    defaultCurrency: options.defaultCurrency ? options.defaultCurrency.toUpperCase() : null,
    ...(options.fillOrderFields ? { fillOrderFields: true } : {}),
  };
}
