import type { ErrorCode } from '../../../shared/domain/types';
import { CONTROL_LABELS } from './controls';

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
  invalid_email: 'Not an e-mail',
  inconsistent_purchase: 'Conflicting transaction',
  total_mismatch: 'Total mismatch',
  unknown_user: 'Unknown user',
  unknown_sku: 'Unknown SKU',
  ambiguous_key: 'Shared e-mail or code',
  key_changed: 'Key changed',
  already_imported: 'Already imported',
  conflict: 'Conflict',
};

export function errorLabel(code: string): string {
  return (ERROR_LABELS as Record<string, string>)[code] ?? code.replace(/_/g, ' ');
}

const C = CONTROL_LABELS;
const edit = 'Double-click the cell (or press Enter) to edit it';

/**
 * What to do about each kind, shown next to the reason. Controls are named in “quotes” exactly
 * as the screen labels them (CONTROL_LABELS); error-codes.test.ts checks it for every code.
 */
export const ERROR_HINTS: Record<ErrorCode, string> = {
  missing_columns: `Use “${C.closeFile}” and open the file again: its column mapping step lets you say which header holds each column.`,
  unknown_column: 'The column is ignored; nothing to do unless it holds data you need.',
  duplicate_column: `Remove the repeated header from the file, then open it again (“${C.closeFile}”).`,
  empty_file: `The file has no rows to import: “${C.closeFile}” and open another one.`,
  malformed_csv: `Check the “${C.delimiter}” under “${C.fileSettings}”, or correct the quotes in the file; in a workbook, correct the cell the reason names in Excel and open the file again.`,
  required: `${edit}, or use “${C.deleteRow}”.`,
  invalid_uuid: `Use “${C.replaceEverywhere}” to pick the right one, or “${C.deleteRow}”.`,
  invalid_integer: `${edit}: quantities are whole numbers.`,
  out_of_range: `${edit}, or use “${C.deleteRow}”.`,
  invalid_amount: `${edit}; for amounts like 12,50 turn on “${C.decimalComma}” under “${C.fileSettings}”.`,
  too_many_decimals: `${edit}: at most 2 decimals.`,
  ambiguous_number: `Turn on “${C.decimalComma}” under “${C.fileSettings}” if the comma is the decimal separator; otherwise edit the cell.`,
  invalid_date: `${edit} (2026-03-04T10:15:00+01:00), or choose the “${C.dateFormat}” under “${C.fileSettings}”.`,
  ambiguous_date: `Choose the “${C.dateFormat}” under “${C.fileSettings}” (day/month or month/day), or edit the cell to 2026-03-04.`,
  missing_time_zone: `Choose the “${C.timeZone}” of the file under “${C.fileSettings}”, or add an offset (+01:00) to the cell.`,
  invalid_currency: `${edit} to an ISO code (EUR, USD), or use “${C.replaceEverywhere}”.`,
  too_long: `${edit} to make it shorter.`,
  invalid_email: `${edit} to the member’s e-mail address, or use “${C.replaceEverywhere}” to pick a member.`,
  inconsistent_purchase:
    'Make the rows of this transaction agree (edit the cells), or give one a new transaction number.',
  total_mismatch: `${edit}: correct total_amount or the items’ quantity and price.`,
  unknown_user: `Use “${C.replaceEverywhere}” to pick a member of this merchant, or “${C.deleteTransaction}”.`,
  unknown_sku: `Use “${C.replaceEverywhere}” to pick one of the merchant’s SKUs, or “${C.deleteRow}”.`,
  ambiguous_key: `Several members or SKUs of this merchant share it: use “${C.replaceEverywhere}” to pick the one meant, or “${C.deleteTransaction}”.`,
  key_changed: `The e-mail or code names another member or SKU than when the file was checked: open the file again to check it anew.`,
  already_imported: `Tick “${C.skipExisting}” above the grid, or use “${C.deleteTransaction}”.`,
  conflict: `Use “${C.deleteTransaction}”, or “${C.leaveOut}” to import the rest.`,
};
