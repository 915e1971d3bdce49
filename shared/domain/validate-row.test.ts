import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CANONICAL_COLUMNS, type CanonicalColumn, type RawRow, type RowError } from './types';
import { buildRowSchema, createRowValidator, validateRows, type RowSettings } from './validate-row';

const settings: RowSettings = {
  decimalComma: false,
  dateFormat: 'iso',
  timeZone: null,
  defaultCurrency: null,
};

const USER = '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01';
const SKU = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';

function raw(cells: Partial<Record<CanonicalColumn, string>> = {}, row = 2): RawRow {
  return {
    row,
    cells: {
      transaction_number: 'T1',
      user_id: USER,
      purchased_at: '2026-03-04T10:15:00Z',
      sku_id: SKU,
      quantity: '2',
      unit_price: '12.50',
      currency: 'EUR',
      total_amount: '25.00',
      store_code: 'S1',
      notes: '',
      ...cells,
    },
  };
}

function errorsOf(cells: Partial<Record<CanonicalColumn, string>>, s: RowSettings = settings) {
  return validateRows([raw(cells)], s).errors;
}

describe('validateRows', () => {
  it('normalises a valid row', () => {
    const { valid, errors } = validateRows(
      [raw({ user_id: USER.toUpperCase(), currency: 'eur', notes: '  hi  ', quantity: ' 12 ' })],
      settings,
    );
    expect(errors).toEqual([]);
    expect(valid).toEqual([
      {
        row: 2,
        transactionNumber: 'T1',
        userId: USER,
        purchasedAt: '2026-03-04T10:15:00.000Z',
        skuId: SKU,
        quantity: 12,
        unitPriceCents: 1250,
        currency: 'EUR',
        totalAmountCents: 2500,
        storeCode: 'S1',
        notes: 'hi',
      },
    ]);
  });

  it('names the column and the value in each message', () => {
    expect(errorsOf({ quantity: '2.5' })).toEqual([
      {
        row: 2,
        column: 'quantity',
        code: 'invalid_integer',
        message: 'quantity "2.5" is not a whole number',
        value: '2.5',
      },
    ]);
  });

  it('reports every bad cell of a row', () => {
    const errors = errorsOf({
      transaction_number: ' ',
      user_id: 'nope',
      purchased_at: '2026-02-30',
      sku_id: '',
      quantity: '0',
      unit_price: '12.345',
      currency: 'EURO',
      total_amount: '-1',
      store_code: 'x'.repeat(101),
      notes: 'n'.repeat(2001),
    });
    expect(errors.map((e) => [e.column, e.code])).toEqual([
      ['transaction_number', 'required'],
      ['user_id', 'invalid_uuid'],
      ['purchased_at', 'invalid_date'],
      ['sku_id', 'required'],
      ['quantity', 'out_of_range'],
      ['unit_price', 'too_many_decimals'],
      ['currency', 'invalid_currency'],
      ['total_amount', 'out_of_range'],
      ['store_code', 'too_long'],
      ['notes', 'too_long'],
    ]);
    expect(errors[0]?.message).toBe('transaction_number is required');
    expect(errors[8]?.message).toContain('is 101 characters long; at most 100 are allowed');
  });

  it.each([
    ['1e3', 'invalid_integer'],
    ['0x10', 'invalid_integer'],
    ['12.345', 'invalid_integer'],
    ['-1', 'out_of_range'],
    ['12,50', 'ambiguous_number'],
  ])('quantity %s is refused (%s)', (quantity, code) => {
    expect(errorsOf({ quantity }).map((e) => e.code)).toEqual([code]);
  });

  it.each([
    ['1e3', 'invalid_amount'],
    ['0x10', 'invalid_amount'],
    ['12.345', 'too_many_decimals'],
    ['-1', 'out_of_range'],
    ['12,50', 'ambiguous_number'],
    ['1,234.50', 'ambiguous_number'],
    ['10000000000.00', 'out_of_range'],
  ])('unit_price %s is refused (%s)', (unit_price, code) => {
    expect(errorsOf({ unit_price }).map((e) => e.code)).toEqual([code]);
  });

  it('accepts a decimal comma only when it is on', () => {
    const on = { ...settings, decimalComma: true };
    expect(
      validateRows([raw({ unit_price: '12,50', total_amount: '25,00' })], on).valid[0],
    ).toMatchObject({
      unitPriceCents: 1250,
      totalAmountCents: 2500,
    });
    expect(errorsOf({ unit_price: '12,50' })[0]?.message).toContain(
      'unit_price "12,50" contains a comma',
    );
  });

  it('counts characters, not UTF-16 units, for length limits', () => {
    expect(errorsOf({ transaction_number: '😀'.repeat(100) })).toEqual([]);
    expect(errorsOf({ transaction_number: '😀'.repeat(101) }).map((e) => e.code)).toEqual([
      'too_long',
    ]);
  });

  it('applies the default currency to empty cells only', () => {
    const s = { ...settings, defaultCurrency: 'CHF' };
    expect(validateRows([raw({ currency: '' })], s).valid[0]?.currency).toBe('CHF');
    expect(validateRows([raw({ currency: 'usd' })], s).valid[0]?.currency).toBe('USD');
    expect(validateRows([raw({ currency: '' })], settings).valid[0]?.currency).toBeNull();
  });

  it('checks currencies against ISO 4217', () => {
    expect(errorsOf({ currency: 'XYZ' }).map((e) => e.code)).toEqual(['invalid_currency']);
    expect(errorsOf({ currency: 'JPY' })).toEqual([]);
  });

  it('refuses bad options loudly', () => {
    expect(() => createRowValidator({ ...settings, timeZone: 'Mars/Olympus' })).toThrow(
      /time zone/,
    );
    expect(() => createRowValidator({ ...settings, defaultCurrency: 'ABC' })).toThrow(/currency/);
  });

  it('refuses cells holding undecodable characters when asked to', () => {
    const v = createRowValidator(settings);
    v.checkUndecodable = true;
    const errors: RowError[] = [];
    expect(v.validateRow(raw({ notes: 'caf\ufffd' }), errors)).toBeNull();
    expect(errors[0]).toMatchObject({ column: 'notes', code: 'malformed_csv' });
  });
});

describe('fast path and zod schema', () => {
  const cell = (column: CanonicalColumn): fc.Arbitrary<string> => {
    const specific: Record<CanonicalColumn, fc.Arbitrary<string>> = {
      transaction_number: fc.oneof(fc.string({ maxLength: 4 }), fc.constant('x'.repeat(101))),
      user_id: fc.oneof(
        fc.uuid(),
        fc.uuid().map((u) => u.toUpperCase()),
        fc.uuid().map((u) => ` ${u}`),
      ),
      purchased_at: fc.oneof(
        fc
          .date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2030-01-01') })
          .map((d) => d.toISOString()),
        fc.constantFrom('2026-03-04', '2026-03-04 10:00', '03/04/2026', '2026-02-30T00:00:00Z', ''),
      ),
      sku_id: fc.uuid(),
      quantity: fc.oneof(fc.nat().map(String), fc.stringMatching(/^[-0-9., e]{0,6}$/)),
      unit_price: fc.stringMatching(/^[-0-9., ]{0,12}$/),
      currency: fc.constantFrom('EUR', 'eur', ' EUR', 'XYZ', ''),
      total_amount: fc.stringMatching(/^[-0-9.,]{0,12}$/),
      store_code: fc.string({ maxLength: 3 }),
      notes: fc.string({ maxLength: 3 }),
    };
    return fc.oneof(specific[column], fc.string({ maxLength: 6 }));
  };
  const rowArb = fc.record(
    Object.fromEntries(CANONICAL_COLUMNS.map((c) => [c, cell(c)])) as Record<
      CanonicalColumn,
      fc.Arbitrary<string>
    >,
  );

  it('gives exactly the zod result, row by row', () => {
    for (const decimalComma of [false, true]) {
      const s = { ...settings, decimalComma };
      const schema = buildRowSchema(s);
      const validator = createRowValidator(s);
      fc.assert(
        fc.property(rowArb, (cells) => {
          const errors: RowError[] = [];
          const fast = validator.validateRow({ row: 7, cells }, errors);
          const zod = schema.safeParse(cells);
          expect(fast === null).toBe(!zod.success);
          if (zod.success && fast) {
            expect({
              transaction_number: fast.transactionNumber,
              user_id: fast.userId,
              purchased_at: fast.purchasedAt,
              sku_id: fast.skuId,
              quantity: fast.quantity,
              unit_price: fast.unitPriceCents,
              currency: fast.currency,
              total_amount: fast.totalAmountCents,
              store_code: fast.storeCode,
              notes: fast.notes,
            }).toEqual(zod.data);
          }
          if (!zod.success) {
            expect(errors.map((e) => [e.column, e.message])).toEqual(
              zod.error.issues.map((i) => [i.path[0], i.message]),
            );
          }
        }),
        { numRuns: 1500 },
      );
    }
  });
});
