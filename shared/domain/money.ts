import type { ErrorCode } from './types';

/**
 * Money and counts as exact integers, parsed from text by string arithmetic: a float never sees
 * a price, so "0.29" cannot become 28 cents. Digit strings are turned into numbers only as whole
 * integers far below 2^53, where Number() is exact.
 */

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; reason: string };

/** numeric(12,2): 10 integer digits. */
export const MAX_CENTS = 999_999_999_999;
export const MAX_QUANTITY = 2_147_483_647;

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const fail = <T>(code: ErrorCode, reason: string): Outcome<T> => ({ ok: false, code, reason });

const DIGITS = /^\d+$/;
const PLAIN = /^(\d*)([.,])(\d*)$/;
const GROUPED = /^\d{1,3}(?:([.,\s'\u00a0\u202f])\d{3})+(?:[.,]\d*)?$/;

/**
 * Fast path for the common shape: digits, optionally one separator ('.' or, with decimalComma,
 * ',') and at most 2 decimals, at most 10 integer digits, no sign, no spaces. Returns cents, or
 * -1 when the text needs the full rules (which also produce the error message). Allocation-free.
 */
export function fastCents(text: string, decimalComma: boolean): number {
  const n = text.length;
  if (n === 0 || n > 13) return -1;
  let whole = 0;
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) whole = whole * 10 + (c - 48);
    else break;
  }
  if (i === 0 || i > 10) return -1;
  if (i === n) return whole * 100;
  const sep = text.charCodeAt(i);
  if (!(sep === 46 || (sep === 44 && decimalComma))) return -1;
  const decimals = n - i - 1;
  if (decimals < 1 || decimals > 2) return -1;
  // With decimal comma on, "1.500" could be a thousands separator; only 1-2 decimals reach here.
  const d1 = text.charCodeAt(i + 1) - 48;
  if (d1 < 0 || d1 > 9) return -1;
  if (decimals === 1) return whole * 100 + d1 * 10;
  const d2 = text.charCodeAt(i + 2) - 48;
  if (d2 < 0 || d2 > 9) return -1;
  return whole * 100 + d1 * 10 + d2;
}

interface Decimal {
  whole: string; // digits without leading zeros ('' for zero)
  fraction: string; // digits after the separator, trailing zeros kept
}

/** Shared by money and quantities: a non-negative decimal in the file's convention, or why not. */
function parseDecimal(text: string, decimalComma: boolean, allowSign: boolean): Outcome<Decimal> {
  let body = text;
  if (body.startsWith('-') || body.startsWith('\u2212') || body.startsWith('+')) {
    if (!allowSign) return fail('invalid_amount', 'is not a number');
    if (body.startsWith('+')) {
      body = body.slice(1);
    } else {
      const rest = parseDecimal(body.slice(1), decimalComma, false);
      return rest.ok ? fail('out_of_range', 'is negative') : rest;
    }
  }
  if (DIGITS.test(body)) return ok({ whole: body.replace(/^0+/, ''), fraction: '' });
  const plain = PLAIN.exec(body);
  if (plain && (plain[1] !== '' || plain[3] !== '')) {
    const whole = plain[1] ?? '';
    const sep = plain[2];
    const fraction = plain[3] ?? '';
    if (sep === ',' && !decimalComma) {
      return fail(
        'ambiguous_number',
        'contains a comma: it could be a decimal comma or a thousands separator; turn on decimal comma if it is a decimal separator, otherwise remove it',
      );
    }
    if (sep === '.' && decimalComma && fraction.length === 3 && whole !== '') {
      return fail(
        'ambiguous_number',
        'is ambiguous in a decimal-comma file: the dot could be a thousands separator; write it without the dot or with a decimal comma',
      );
    }
    return ok({ whole: whole.replace(/^0+/, ''), fraction });
  }
  if (GROUPED.test(body) || /\d[\s\u00a0\u202f']\d/.test(body) || /\d[.,]\d*[.,]/.test(body)) {
    return fail(
      'ambiguous_number',
      'uses a thousands separator, which is not accepted (it is easily confused with a decimal separator); write the number without grouping',
    );
  }
  return fail('invalid_amount', 'is not a number');
}

/** Full money rules: >= 0, at most 2 decimals (trailing zeros beyond that are exact and kept). */
export function parseCents(text: string, decimalComma: boolean): Outcome<number> {
  const fast = fastCents(text, decimalComma);
  if (fast >= 0) return ok(fast);
  const parsed = parseDecimal(text, decimalComma, true);
  if (!parsed.ok) {
    return parsed.code === 'out_of_range' ? fail('out_of_range', 'must not be negative') : parsed;
  }
  const { whole } = parsed.value;
  const fraction = parsed.value.fraction.replace(/0+$/, '');
  if (fraction.length > 2) return fail('too_many_decimals', 'has more than 2 decimals');
  if (whole.length > 10) return fail('out_of_range', 'is larger than 9999999999.99');
  return ok(Number(whole || '0') * 100 + Number(fraction.padEnd(2, '0')));
}

/** Fast path for quantities: 1-10 plain digits within range, else -1. */
export function fastQuantity(text: string): number {
  const n = text.length;
  if (n === 0 || n > 10) return -1;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value >= 1 && value <= MAX_QUANTITY ? value : -1;
}

/** Whole number 1..2^31-1; "2.0" is accepted (it is exactly 2), "2.5" is not. */
export function parseQuantity(text: string, decimalComma: boolean): Outcome<number> {
  const fast = fastQuantity(text);
  if (fast >= 0) return ok(fast);
  const parsed = parseDecimal(text, decimalComma, true);
  if (!parsed.ok) {
    if (parsed.code === 'out_of_range') return fail('out_of_range', 'must be at least 1');
    if (parsed.code === 'invalid_amount') return fail('invalid_integer', 'is not a whole number');
    return parsed;
  }
  if (/[1-9]/.test(parsed.value.fraction)) return fail('invalid_integer', 'is not a whole number');
  const { whole } = parsed.value;
  if (whole === '') return fail('out_of_range', 'must be at least 1');
  if (whole.length > 10 || Number(whole) > MAX_QUANTITY) {
    return fail('out_of_range', `is larger than ${MAX_QUANTITY}`);
  }
  return ok(Number(whole));
}

/** Cents as the exact decimal text the database takes: 1250 -> "12.50". */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`not a whole number of cents: ${cents}`);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100);
  const rest = abs - whole * 100;
  return `${sign}${whole}.${rest < 10 ? '0' : ''}${rest}`;
}
