import { z } from 'zod';
import { fastCents, fastQuantity, parseCents, parseQuantity, type Outcome } from './money';
import { ID_MODE, normalizeEmail, skuKeyRef, userKeyRef, type KeyMode } from './natural-keys';
import { serialToIso } from '../sources/excel-serial';
import { fastUtcMs, formatIsoUtc, isValidTimeZone, parseTimestamp } from './timestamp';
import {
  CANONICAL_COLUMNS,
  type CanonicalColumn,
  type ImportSettings,
  type RawRow,
  type RowError,
  type ValidRow,
} from './types';

/**
 * Cell rules. Each column's rule is a zod schema (string cell in, normalised value out, issues
 * carrying our ErrorCode in params.code) built on one pure rule function per column; the schemas
 * are the exported definition (UI cell editing, edges) and the reference the engine is tested
 * against.
 *
 * Measured: zod with transforms costs ~10 us per row (1M rows = 10 s, the whole budget), and
 * ~25 us per bad row when used only to word the errors. So the engine's hot path first tries a
 * cheap check of the common valid shape of each cell (plain digits, a uuid, a known currency, an
 * ISO timestamp...) and otherwise calls the column's rule function directly, producing the same
 * value or the same message the schema would. validate-row.test.ts checks, on generated rows,
 * that validateRecord and buildRowSchema agree on every value and every message.
 */

export type RowSettings = Omit<ImportSettings, 'source'>;

export interface CellValues {
  transaction_number: string;
  user_id: string;
  purchased_at: string;
  sku_id: string;
  quantity: number;
  unit_price: number;
  currency: string | null;
  total_amount: number | null;
  store_code: string | null;
  notes: string | null;
  user_email: string | null; // trimmed, lower case
  sku_code: string | null;
}

export type CellSchemas = { [K in CanonicalColumn]: z.ZodType<CellValues[K], string> };

export const MAX_LENGTH = {
  transaction_number: 100,
  store_code: 100,
  notes: 2000,
  user_email: 320,
  sku_code: 200,
} as const;

// Deliberately loose: one @ with something on both sides and no spaces. The CRM decides whether
// the address names a member; this only catches cells that cannot be an e-mail (a name, a UUID).
const EMAIL = /^[^\s@]+@[^\s@]+$/;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

let currencies: ReadonlySet<string> | null = null;
/** ISO 4217 codes in current use, from the runtime's ICU data (Node 20 and Chromium have it). */
export function knownCurrencies(): ReadonlySet<string> {
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies;
}

/** Postgres counts characters (code points), not UTF-16 units. */
function charCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) count++;
  }
  return count;
}

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });

// PostgreSQL text cannot hold U+0000: left in, the batch would be refused by the database after
// it was begun, instead of the cell here with its row.
const NUL = '\u0000';
const hasNul: Outcome<never> = {
  ok: false,
  code: 'malformed_csv',
  reason: 'contains a NUL character (U+0000), which cannot be stored: remove it',
};

function text(max: number, t: string): Outcome<string> {
  if (t.includes(NUL)) return hasNul;
  return tooLong<string>(max, t) ?? ok(t);
}
const required: Outcome<never> = { ok: false, code: 'required', reason: 'is required' };

/** 5.63848E+12: what Excel shows, and saves to CSV, for a long number in a General cell. */
const SCIENTIFIC = /^[+-]?\d+(?:[.,]\d+)?E[+-]?\d+$/i;
const scientific: Outcome<never> = {
  ok: false,
  code: 'malformed_csv',
  reason:
    'is in scientific notation, as Excel shows long numbers: the digits after the first few are gone and cannot be read back. In Excel, format the column as Text before typing or pasting the ids (or import the .xlsx workbook itself), then save the CSV again',
};

/** A whole number or decimal in a date column that is a plausible Excel date serial. */
const SERIAL = /^\d{1,7}(?:\.\d+)?$/;
function serialDate(t: string): Outcome<never> | null {
  if (!SERIAL.test(t)) return null;
  const iso = serialToIso(Number(t), false);
  if (iso === null || Number(t) < 367) return null;
  return {
    ok: false,
    code: 'invalid_date',
    reason: `is a number, which looks like an Excel serial date (${iso}): Excel writes a date as its serial when the column is not formatted as a date. In Excel, format the column as a date (yyyy-mm-dd hh:mm:ss) and save the CSV again, or import the .xlsx workbook itself`,
  };
}

function tooLong<T>(max: number, text: string): Outcome<T> | null {
  const n = charCount(text);
  return n > max
    ? { ok: false, code: 'too_long', reason: `is ${n} characters long; at most ${max} are allowed` }
    : null;
}

/**
 * The rules, on trimmed text. In key mode (the file names members by user_email, SKUs by
 * sku_code) the key column is required; otherwise it is an optional column of its own.
 */
function rules(
  settings: RowSettings,
  keys: KeyMode = ID_MODE,
): {
  [K in CanonicalColumn]: (t: string) => Outcome<CellValues[K]>;
} {
  const uuid = (t: string): Outcome<string> => {
    if (t === '') return required;
    return UUID.test(t)
      ? ok(t.toLowerCase())
      : { ok: false, code: 'invalid_uuid', reason: 'is not a UUID' };
  };
  const optionalText =
    (max: number) =>
    (t: string): Outcome<string | null> =>
      t === '' ? ok(null) : text(max, t);
  return {
    transaction_number: (t) =>
      t === ''
        ? required
        : SCIENTIFIC.test(t)
          ? scientific
          : text(MAX_LENGTH.transaction_number, t),
    user_id: uuid,
    sku_id: uuid,
    purchased_at: (t) => (t === '' ? required : (serialDate(t) ?? parseTimestamp(t, settings))),
    quantity: (t) => (t === '' ? required : parseQuantity(t, settings.decimalComma)),
    unit_price: (t) => (t === '' ? required : parseCents(t, settings.decimalComma)),
    total_amount: (t) => (t === '' ? ok(null) : parseCents(t, settings.decimalComma)),
    currency: (t) => {
      if (t === '') return ok(settings.defaultCurrency);
      const code = t.toUpperCase();
      return knownCurrencies().has(code)
        ? ok(code)
        : { ok: false, code: 'invalid_currency', reason: 'is not an ISO 4217 currency code' };
    },
    store_code: optionalText(MAX_LENGTH.store_code),
    notes: optionalText(MAX_LENGTH.notes),
    user_email: (t) => {
      if (t === '') return keys.userByEmail ? required : ok(null);
      if (t.includes(NUL)) return hasNul;
      const long = tooLong<string>(MAX_LENGTH.user_email, t);
      if (long) return long;
      return EMAIL.test(t)
        ? ok(normalizeEmail(t))
        : { ok: false, code: 'invalid_email', reason: 'is not an e-mail address' };
    },
    sku_code: (t) => {
      if (t === '') return keys.skuByCode ? required : ok(null);
      return text(MAX_LENGTH.sku_code, t);
    },
  };
}

/** The columns a row of this key mode is made of: the key column replaces the id column. */
export function rowColumns(keys: KeyMode = ID_MODE): CanonicalColumn[] {
  return CANONICAL_COLUMNS.filter((c) =>
    c === 'user_id'
      ? !keys.userByEmail
      : c === 'user_email'
        ? keys.userByEmail
        : c === 'sku_id'
          ? !keys.skuByCode
          : c === 'sku_code'
            ? keys.skuByCode
            : true,
  );
}

function shown(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}

export function cellMessage(column: string, raw: string, reason: string): string {
  return raw.trim() === '' ? `${column} ${reason}` : `${column} "${shown(raw)}" ${reason}`;
}

export function buildCellSchemas(settings: RowSettings, keys: KeyMode = ID_MODE): CellSchemas {
  const r = rules(settings, keys);
  const schema = <K extends CanonicalColumn>(column: K): z.ZodType<CellValues[K], string> =>
    z.string().transform((raw, ctx): CellValues[K] => {
      const outcome = r[column](raw.trim());
      if (outcome.ok) return outcome.value;
      ctx.issues.push({
        code: 'custom',
        input: raw,
        message: cellMessage(column, raw, outcome.reason),
        params: { code: outcome.code },
      });
      return z.NEVER;
    });
  return {
    transaction_number: schema('transaction_number'),
    user_id: schema('user_id'),
    purchased_at: schema('purchased_at'),
    sku_id: schema('sku_id'),
    quantity: schema('quantity'),
    unit_price: schema('unit_price'),
    currency: schema('currency'),
    total_amount: schema('total_amount'),
    store_code: schema('store_code'),
    notes: schema('notes'),
    user_email: schema('user_email'),
    sku_code: schema('sku_code'),
  };
}

/**
 * The row as one zod object (canonical cells in, normalised cells out): the columns of the key
 * mode (rowColumns); other cells are ignored, as the engine ignores them.
 */
export function buildRowSchema(settings: RowSettings, keys: KeyMode = ID_MODE) {
  const cells = buildCellSchemas(settings, keys);
  const shape: Partial<CellSchemas> = {};
  for (const column of rowColumns(keys)) Object.assign(shape, { [column]: cells[column] });
  return z.object(shape);
}

/** Checks the options a user chose; a bad choice is a caller error, not a row defect. */
export function assertRowSettings(settings: RowSettings): void {
  if (settings.timeZone !== null && !isValidTimeZone(settings.timeZone)) {
    throw new RangeError(`Unknown time zone "${settings.timeZone}" (expected an IANA name)`);
  }
  if (settings.defaultCurrency !== null && !knownCurrencies().has(settings.defaultCurrency)) {
    throw new RangeError(`Unknown default currency "${settings.defaultCurrency}"`);
  }
}

function cellAt(record: readonly string[], i: number | undefined): string {
  return i === undefined || i < 0 ? '' : (record[i] ?? '');
}

/** Identity column positions for a RawRow turned into an array in CANONICAL_COLUMNS order. */
const IDENTITY_INDEX: readonly number[] = CANONICAL_COLUMNS.map((_, i) => i);
const USER_ID_AT = CANONICAL_COLUMNS.indexOf('user_id');
const SKU_ID_AT = CANONICAL_COLUMNS.indexOf('sku_id');
const USER_EMAIL_AT = CANONICAL_COLUMNS.indexOf('user_email');
const SKU_CODE_AT = CANONICAL_COLUMNS.indexOf('sku_code');

function isAsciiEdge(c: number): boolean {
  return c > 32 && c < 127;
}

/** Text with nothing to trim, within `max` UTF-16 units (so within max characters), no NUL. */
function plainText(raw: string, max: number): boolean {
  const n = raw.length;
  return (
    n > 0 &&
    n <= max &&
    isAsciiEdge(raw.charCodeAt(0)) &&
    isAsciiEdge(raw.charCodeAt(n - 1)) &&
    !raw.includes(NUL)
  );
}

export interface RowValidator {
  readonly settings: RowSettings;
  readonly keys: KeyMode;
  readonly schemas: CellSchemas;
  /**
   * Validates one record whose canonical columns sit at `index` (CANONICAL_COLUMNS order, -1 =
   * absent). Appends errors for every bad cell to `errors`; returns the row when there were none.
   */
  validateRecord(
    record: readonly string[],
    index: readonly number[],
    row: number,
    errors: RowError[],
  ): ValidRow | null;
  validateRow(raw: RawRow, errors: RowError[]): ValidRow | null;
  /** Refuse cells holding U+FFFD: the bytes were not valid in the file's encoding. */
  checkUndecodable: boolean;
}

const UNDECODABLE = '\ufffd';

export function createRowValidator(settings: RowSettings, keys: KeyMode = ID_MODE): RowValidator {
  assertRowSettings(settings);
  const schemas = buildCellSchemas(settings, keys);
  const ruleFor = rules(settings, keys);
  // Natural keys repeat across rows like ids: one normalised reference per distinct spelling.
  const keyRefs = new Map<string, string>();
  const known = knownCurrencies();
  const { decimalComma } = settings;
  // Ids repeat across rows: keep one normalised string per distinct spelling.
  const ids = new Map<string, string>();
  // Rows of one purchase repeat these cells: compare with the previous row before any lookup.
  let lastTimestampRaw = '';
  let lastTimestamp = '';
  let lastBadTimestampRaw: string | null = null;
  let lastBadTimestamp: RowError | null = null;
  let lastUserRaw = '';
  let lastUser = '';
  let lastCurrency = '';

  /**
   * A cell the quick check did not accept: judged by the column's rule (the function its zod
   * schema wraps), with the message the schema would give. Calling zod here cost ~25 us per bad
   * row: a 100k-row file whose dates all lacked a zone took 3.5 s instead of 0.5 s.
   * validate-row.test.ts checks that this path and buildRowSchema agree.
   */
  function slow<K extends CanonicalColumn>(
    column: K,
    raw: string,
    row: number,
    errors: RowError[],
  ): CellValues[K] | undefined {
    const outcome = ruleFor[column](raw.trim());
    if (outcome.ok) return outcome.value;
    errors.push({
      row,
      column,
      code: outcome.code,
      message: cellMessage(column, raw, outcome.reason),
      value: raw,
    });
    return undefined;
  }

  function id(column: 'user_id' | 'sku_id', raw: string, row: number, errors: RowError[]) {
    const cached = ids.get(raw);
    if (cached !== undefined) return cached;
    if (raw.length === 36 && UUID.test(raw)) {
      const value = raw.toLowerCase();
      if (ids.size > 1_000_000) ids.clear();
      ids.set(raw, value);
      return value;
    }
    return slow(column, raw, row, errors);
  }

  function keyRef(
    column: 'user_email' | 'sku_code',
    raw: string,
    row: number,
    errors: RowError[],
  ): string | undefined {
    const cacheKey = column === 'user_email' ? `u${raw}` : `s${raw}`;
    const cached = keyRefs.get(cacheKey);
    if (cached !== undefined) return cached;
    const value = slow(column, raw, row, errors);
    if (value === undefined || value === null) return undefined;
    const ref = column === 'user_email' ? userKeyRef(value) : skuKeyRef(value);
    if (keyRefs.size > 1_000_000) keyRefs.clear();
    keyRefs.set(cacheKey, ref);
    return ref;
  }

  const validator: RowValidator = {
    settings,
    keys,
    schemas,
    checkUndecodable: false,
    validateRecord(record, index, row, errors) {
      const before = errors.length;
      if (validator.checkUndecodable) {
        for (let position = 0; position < CANONICAL_COLUMNS.length; position++) {
          const raw = cellAt(record, index[position]);
          if (raw.includes(UNDECODABLE)) {
            const column = CANONICAL_COLUMNS[position] ?? 'notes';
            errors.push({
              row,
              column,
              code: 'malformed_csv',
              message: `${column} contains characters that could not be decoded: choose the file's encoding (Encoding under File settings, --encoding on the command line; Windows 1252 for most Excel CSV files), or save the file as "CSV UTF-8"`,
              value: raw,
            });
          }
        }
        if (errors.length > before) return null;
      }

      const tnRaw = cellAt(record, index[0]);
      const transactionNumber =
        plainText(tnRaw, MAX_LENGTH.transaction_number) && !SCIENTIFIC.test(tnRaw)
          ? tnRaw
          : slow('transaction_number', tnRaw, row, errors);

      const userRaw = cellAt(record, index[keys.userByEmail ? USER_EMAIL_AT : USER_ID_AT]);
      let userId: string | undefined = lastUser;
      if (userRaw !== lastUserRaw || userRaw === '') {
        userId = keys.userByEmail
          ? keyRef('user_email', userRaw, row, errors)
          : id('user_id', userRaw, row, errors);
        if (userId !== undefined) {
          lastUserRaw = userRaw;
          lastUser = userId;
        }
      }

      const atRaw = cellAt(record, index[2]);
      let purchasedAt: string | undefined;
      if (atRaw === lastTimestampRaw && atRaw !== '') {
        purchasedAt = lastTimestamp;
      } else {
        const ms = fastUtcMs(atRaw);
        let value: string | undefined;
        if (!Number.isNaN(ms)) {
          value = formatIsoUtc(ms);
        } else if (atRaw === lastBadTimestampRaw && lastBadTimestamp) {
          // A file with no zone repeats the same refused value on every row of a purchase.
          errors.push({ ...lastBadTimestamp, row });
        } else {
          const parsed = parseTimestamp(atRaw, settings);
          if (parsed.ok) {
            value = parsed.value;
          } else {
            value = slow('purchased_at', atRaw, row, errors);
            if (value === undefined) {
              lastBadTimestampRaw = atRaw;
              lastBadTimestamp = errors[errors.length - 1] ?? null;
            }
          }
        }
        if (value !== undefined) {
          lastTimestampRaw = atRaw;
          lastTimestamp = value;
        }
        purchasedAt = value;
      }

      const skuId = keys.skuByCode
        ? keyRef('sku_code', cellAt(record, index[SKU_CODE_AT]), row, errors)
        : id('sku_id', cellAt(record, index[SKU_ID_AT]), row, errors);

      const qtyRaw = cellAt(record, index[4]);
      const fastQty = fastQuantity(qtyRaw);
      const quantity = fastQty >= 0 ? fastQty : slow('quantity', qtyRaw, row, errors);

      const priceRaw = cellAt(record, index[5]);
      const fastPrice = fastCents(priceRaw, decimalComma);
      const unitPriceCents = fastPrice >= 0 ? fastPrice : slow('unit_price', priceRaw, row, errors);

      const curRaw = cellAt(record, index[6]);
      let currency: string | null | undefined;
      if (curRaw === '') currency = settings.defaultCurrency;
      else if (curRaw === lastCurrency) currency = lastCurrency;
      else if (known.has(curRaw)) currency = lastCurrency = curRaw;
      else currency = slow('currency', curRaw, row, errors);

      const totalRaw = cellAt(record, index[7]);
      let totalAmountCents: number | null | undefined = null;
      if (totalRaw !== '') {
        const fastTotal = fastCents(totalRaw, decimalComma);
        totalAmountCents = fastTotal >= 0 ? fastTotal : slow('total_amount', totalRaw, row, errors);
      }

      const storeRaw = cellAt(record, index[8]);
      const storeCode =
        storeRaw === ''
          ? null
          : plainText(storeRaw, MAX_LENGTH.store_code)
            ? storeRaw
            : slow('store_code', storeRaw, row, errors);

      const notesRaw = cellAt(record, index[9]);
      const notes =
        notesRaw === ''
          ? null
          : plainText(notesRaw, MAX_LENGTH.notes)
            ? notesRaw
            : slow('notes', notesRaw, row, errors);

      if (
        errors.length > before ||
        transactionNumber === undefined ||
        userId === undefined ||
        purchasedAt === undefined ||
        skuId === undefined ||
        quantity === undefined ||
        unitPriceCents === undefined ||
        currency === undefined ||
        totalAmountCents === undefined ||
        storeCode === undefined ||
        notes === undefined
      ) {
        return null;
      }
      return {
        row,
        transactionNumber,
        userId,
        purchasedAt,
        skuId,
        quantity,
        unitPriceCents,
        currency,
        totalAmountCents,
        storeCode,
        notes,
      };
    },
    validateRow(raw, errors) {
      const record = CANONICAL_COLUMNS.map((c) => raw.cells[c] ?? '');
      return validator.validateRecord(record, IDENTITY_INDEX, raw.row, errors);
    },
  };
  return validator;
}

/** DESIGN.md's `validateRows(rows) -> {valid, errors}` for callers holding RawRows. */
export function validateRows(
  rows: readonly RawRow[],
  settings: RowSettings,
  keys: KeyMode = ID_MODE,
): { valid: ValidRow[]; errors: RowError[] } {
  const validator = createRowValidator(settings, keys);
  const valid: ValidRow[] = [];
  const errors: RowError[] = [];
  for (const raw of rows) {
    const row = validator.validateRow(raw, errors);
    if (row) valid.push(row);
  }
  return { valid, errors };
}

/** The transaction number a row belongs to, even when other cells are bad ('' if unusable). */
export function transactionKey(raw: string): string {
  const t = raw.trim();
  return t.length > 0 && charCount(t) <= MAX_LENGTH.transaction_number ? t : '';
}
