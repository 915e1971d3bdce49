// Reference readings of amounts and quantities for property tests, written plainly and
// independently of shared/domain/money.ts: character by character, with BigInt arithmetic, no
// regular expressions shared with the code under test and no fast path. Where money.ts and this
// file disagree on a generated string, one of them is wrong and the test prints the string.

export const MAX_CENTS = 999_999_999_999n; // numeric(12,2)
export const MAX_QUANTITY = 2_147_483_647n; // int4

interface Reading {
  whole: string;
  fraction: string;
}

/**
 * A non-negative decimal as the import accepts it: an optional '+', digits,
 * at most one separator ('.' always, ',' only in a decimal-comma file) and more digits; at least
 * one digit. No other sign, no spaces, no exponent, no thousands grouping. In a decimal-comma file
 * a '.' followed by exactly three digits after a whole part is refused as ambiguous ("1.500").
 * Returns null when the text is refused.
 */
export function readDecimal(text: string, decimalComma: boolean): Reading | null {
  const body = text.startsWith('+') ? text.slice(1) : text;
  let whole = '';
  let fraction = '';
  let separator = '';
  for (const ch of body) {
    if (ch >= '0' && ch <= '9') {
      if (separator === '') whole += ch;
      else fraction += ch;
    } else if ((ch === '.' || ch === ',') && separator === '') {
      separator = ch;
    } else {
      return null;
    }
  }
  if (whole === '' && fraction === '') return null;
  if (separator === ',' && !decimalComma) return null;
  if (separator === '.' && decimalComma && whole !== '' && fraction.length === 3) return null;
  return { whole, fraction };
}

/** Cents of an amount >= 0 with at most 2 significant decimals and at most 10 integer digits. */
export function referenceCents(text: string, decimalComma: boolean): bigint | null {
  const reading = readDecimal(text, decimalComma);
  if (!reading) return null;
  let fraction = reading.fraction;
  while (fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  if (fraction.length > 2) return null;
  while (fraction.length < 2) fraction += '0';
  const cents = BigInt(reading.whole === '' ? '0' : reading.whole) * 100n + BigInt(fraction);
  return cents <= MAX_CENTS ? cents : null;
}

/** A whole quantity 1..2^31-1 (decimals allowed only when they are all zeros: "2.0"). */
export function referenceQuantity(text: string, decimalComma: boolean): bigint | null {
  const reading = readDecimal(text, decimalComma);
  if (!reading) return null;
  for (const ch of reading.fraction) if (ch !== '0') return null;
  const value = BigInt(reading.whole === '' ? '0' : reading.whole);
  return value >= 1n && value <= MAX_QUANTITY ? value : null;
}
