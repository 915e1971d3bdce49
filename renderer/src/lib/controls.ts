// The names of the controls that fix hints point people to. Components render these exact
// strings, and a unit test checks that every hint names only controls listed here, so a hint
// can never send an admin looking for a setting that does not exist.

export const CONTROL_LABELS = {
  fileSettings: 'File settings',
  encoding: 'Encoding',
  delimiter: 'Delimiter',
  sheet: 'Sheet',
  decimalComma: 'Decimal comma',
  dateFormat: 'Date format',
  timeZone: 'Time zone',
  skipExisting: 'Skip transactions already imported',
  replaceEverywhere: 'Replace everywhere…',
  deleteRow: 'Delete row',
  deleteTransaction: 'Delete transaction',
  deleteProblemRows: 'Delete every row with this problem',
  leaveOut: 'Leave out transactions with errors…',
  closeFile: 'Close file',
  // Issue 13: also the engine's hint (shared/domain/fill-down.ts FILL_ORDER_FIELDS_LABEL).
  fillOrderFields: 'Order fields on first row only',
} as const;

export type ControlName = keyof typeof CONTROL_LABELS;
