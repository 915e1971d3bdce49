import { z } from 'zod';
import { isValidTimeZone } from './timestamp';
import {
  CANONICAL_COLUMNS,
  FILE_ENCODINGS,
  type CanonicalColumn,
  type CsvDelimiter,
  type ImportSettings,
  type ParseOptions,
} from './types';
import { knownCurrencies } from './validate-row';

/** ParseOptions as they cross an edge (IPC, worker message, settings file). */
export const parseOptionsSchema = z.object({
  encoding: z.enum(FILE_ENCODINGS).optional(),
  delimiter: z.enum([',', ';', '\t', '|']).optional(),
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
}) satisfies z.ZodType<ParseOptions>;

/**
 * Defaults applied where the user chose nothing. Decimal comma defaults on only for ';' files:
 * that is the convention of the locales whose spreadsheets write ';' because ',' is their
 * decimal separator; in any other file "12,50" stays ambiguous and is refused.
 */
export function resolveSettings(options: ParseOptions, delimiter: CsvDelimiter): ImportSettings {
  return {
    encoding: options.encoding ?? null,
    delimiter,
    decimalComma: options.decimalComma ?? delimiter === ';',
    dateFormat: options.dateFormat ?? 'iso',
    timeZone: options.timeZone ?? null,
    defaultCurrency: options.defaultCurrency ? options.defaultCurrency.toUpperCase() : null,
  };
}
