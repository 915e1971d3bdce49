import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceCents, referenceQuantity } from '../../test/oracles/decimal';
import { fastCents, fastQuantity, formatCents, parseCents, parseQuantity } from './money';

describe('parseCents', () => {
  it.each([
    ['12.50', false, 1250],
    ['12.5', false, 1250],
    ['12', false, 1200],
    ['0', false, 0],
    ['0.29', false, 29],
    ['0.07', false, 7],
    ['.5', false, 50],
    ['5.', false, 500],
    ['007.10', false, 710],
    ['12.500', false, 1250], // exact: trailing zeros add no precision
    ['+3.00', false, 300],
    ['9999999999.99', false, 999_999_999_999],
    ['12,50', true, 1250],
    ['12.50', true, 1250], // two decimals cannot be a thousands group
  ])('%s (decimal comma %s) is %d cents', (text, decimalComma, cents) => {
    expect(parseCents(text, decimalComma)).toEqual({ ok: true, value: cents });
  });

  it.each([
    ['12.345', false, 'too_many_decimals'],
    ['12,345', true, 'too_many_decimals'],
    ['-1', false, 'out_of_range'],
    ['-0.01', false, 'out_of_range'],
    ['10000000000', false, 'out_of_range'],
    ['12,50', false, 'ambiguous_number'],
    ['1,500', false, 'ambiguous_number'],
    ['1,234.50', false, 'ambiguous_number'],
    ['1.234,50', true, 'ambiguous_number'],
    ['1 234.50', false, 'ambiguous_number'],
    ['1.500', true, 'ambiguous_number'],
    ['1e3', false, 'invalid_amount'],
    ['0x10', false, 'invalid_amount'],
    ['$12', false, 'invalid_amount'],
    ['12 EUR', false, 'invalid_amount'],
    ['abc', false, 'invalid_amount'],
    ['.', false, 'invalid_amount'],
    ['--1', false, 'invalid_amount'],
    ['NaN', false, 'invalid_amount'],
    ['Infinity', false, 'invalid_amount'],
  ])('%s (decimal comma %s) is refused with %s', (text, decimalComma, code) => {
    const r = parseCents(text, decimalComma);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(code);
  });

  it('agrees with integer arithmetic for every 2-decimal amount (no float drift)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999 }), fc.boolean(), (cents, comma) => {
        const text = formatCents(cents).replace('.', comma ? ',' : '.');
        expect(parseCents(text, comma)).toEqual({ ok: true, value: cents });
      }),
    );
  });

  // Strings shaped like amounts (sign, up to 12 digits, a separator, up to 4 decimals) hit every
  // branch of the rules; free strings over the same characters hit the odd cases.
  const amountText = fc.oneof(
    fc
      .tuple(
        fc.constantFrom('', '', '', '+', '-'),
        fc.stringMatching(/^[0-9]{0,12}$/),
        fc.constantFrom('', '.', '.', ','),
        fc.stringMatching(/^[0-9]{0,4}$/),
      )
      .map((parts) => parts.join('')),
    fc.stringMatching(/^[-+ 0-9.,e]{0,14}$/),
  );

  it('accepts and values exactly what a plainly written decimal reader does', () => {
    fc.assert(
      fc.property(amountText, fc.boolean(), (text, comma) => {
        const expected = referenceCents(text, comma);
        const actual = parseCents(text, comma);
        expect({ text, comma, cents: actual.ok ? BigInt(actual.value) : null }).toEqual({
          text,
          comma,
          cents: expected,
        });
      }),
      { numRuns: 5000 },
    );
  });

  it('fast path: whenever it answers, the answer is the reference value', () => {
    let answered = 0;
    fc.assert(
      fc.property(amountText, fc.boolean(), (text, comma) => {
        const fast = fastCents(text, comma);
        if (fast < 0) return;
        answered++;
        expect({ text, comma, cents: BigInt(fast) }).toEqual({
          text,
          comma,
          cents: referenceCents(text, comma),
        });
      }),
      { numRuns: 5000 },
    );
    // The property above says nothing if the fast path never answers.
    expect(answered).toBeGreaterThan(500);
  });

  it('fast path answers the common shape (up to 10 digits, up to 2 decimals)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[1-9][0-9]{0,9}$/),
        fc.stringMatching(/^[0-9]{1,2}$/),
        fc.boolean(),
        (whole, decimals, comma) => {
          const text = `${whole}${comma ? ',' : '.'}${decimals}`;
          expect({ text, cents: BigInt(fastCents(text, comma)) }).toEqual({
            text,
            cents: referenceCents(text, comma),
          });
        },
      ),
    );
  });
});

describe('parseQuantity', () => {
  it.each([
    ['1', 1],
    ['12', 12],
    ['2.0', 2],
    ['007', 7],
    ['2147483647', 2_147_483_647],
  ])('%s is %d', (text, value) => {
    expect(parseQuantity(text, false)).toEqual({ ok: true, value });
  });

  it.each([
    ['2.5', false, 'invalid_integer'],
    ['2,5', true, 'invalid_integer'],
    ['2,5', false, 'ambiguous_number'],
    ['1,000', false, 'ambiguous_number'],
    ['0', false, 'out_of_range'],
    ['-1', false, 'out_of_range'],
    ['2147483648', false, 'out_of_range'],
    ['99999999999', false, 'out_of_range'],
    ['1e3', false, 'invalid_integer'],
    ['0x10', false, 'invalid_integer'],
    ['three', false, 'invalid_integer'],
  ])('%s (decimal comma %s) is refused with %s', (text, comma, code) => {
    const r = parseQuantity(text, comma);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(code);
  });

  const quantityText = fc.oneof(
    fc
      .tuple(
        fc.constantFrom('', '', '+', '-'),
        fc.stringMatching(/^[0-9]{0,11}$/),
        fc.constantFrom('', '', '.', ','),
        fc.stringMatching(/^[0-9]{0,3}$/),
      )
      .map((parts) => parts.join('')),
    fc.stringMatching(/^[-+ 0-9.,e]{0,12}$/),
  );

  it('accepts and values exactly what a plainly written decimal reader does', () => {
    fc.assert(
      fc.property(quantityText, fc.boolean(), (text, comma) => {
        const actual = parseQuantity(text, comma);
        const fast = fastQuantity(text);
        expect({
          text,
          comma,
          value: actual.ok ? BigInt(actual.value) : null,
          fast: fast >= 0 ? BigInt(fast) : 'declined',
        }).toEqual({
          text,
          comma,
          value: referenceQuantity(text, comma),
          // The fast path may decline anything; when it answers, it answers the reference.
          fast: fast >= 0 ? referenceQuantity(text, comma) : 'declined',
        });
      }),
      { numRuns: 5000 },
    );
  });
});

describe('formatCents', () => {
  it('writes exact decimals', () => {
    expect(formatCents(0)).toBe('0.00');
    expect(formatCents(7)).toBe('0.07');
    expect(formatCents(1250)).toBe('12.50');
    expect(formatCents(999_999_999_999)).toBe('9999999999.99');
    expect(formatCents(-5)).toBe('-0.05');
    expect(() => formatCents(1.5)).toThrow(RangeError);
  });
});
