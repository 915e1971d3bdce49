import type { ErrorCode } from '../../../shared/domain/types';

/** Short names for the kinds of defect, for filters, chips and the side panel. */
export const ERROR_LABELS: Record<ErrorCode, string> = {
  missing_columns: 'Missing columns',
  unknown_column: 'Unknown column',
  duplicate_column: 'Duplicate column',
  empty_file: 'Empty file',
  malformed_csv: 'Unreadable row',
  required: 'Missing value',
  invalid_uuid: 'Not a UUID',
  invalid_integer: 'Not a whole number',
  out_of_range: 'Out of range',
  invalid_amount: 'Invalid amount',
  too_many_decimals: 'Too many decimals',
  ambiguous_number: 'Ambiguous number',
  invalid_date: 'Invalid date',
  ambiguous_date: 'Ambiguous date',
  missing_time_zone: 'No time zone',
  invalid_currency: 'Unknown currency',
  too_long: 'Too long',
  inconsistent_purchase: 'Conflicting transaction',
  total_mismatch: 'Total mismatch',
  unknown_user: 'Unknown user',
  unknown_sku: 'Unknown SKU',
  already_imported: 'Already imported',
  conflict: 'Conflict',
};

export function errorLabel(code: string): string {
  return (ERROR_LABELS as Record<string, string>)[code] ?? code.replace(/_/g, ' ');
}

/** What to do about each kind, shown next to the reason. */
export const ERROR_HINTS: Partial<Record<ErrorCode, string>> = {
  unknown_user: 'Replace it everywhere with a member of this merchant, or delete the transaction.',
  unknown_sku: 'Replace it everywhere with one of the merchant’s SKUs, or delete the rows.',
  already_imported: 'Delete the transaction, or tick “Skip transactions already imported”.',
  inconsistent_purchase:
    'Make the rows of this transaction agree, or give one a new transaction number.',
  total_mismatch: 'Correct total_amount or the items’ quantity and price.',
  missing_time_zone: 'Add the offset (e.g. +01:00), or re-open the file with a time zone.',
  ambiguous_date: 'Write the date as 2026-03-04, or re-open the file with a date format.',
};
