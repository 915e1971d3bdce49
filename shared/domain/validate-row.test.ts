import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceCents, referenceQuantity } from '../../test/oracles/decimal';
import {
  CANONICAL_COLUMNS,
  type CanonicalColumn,
  type RawRow,
  type RowError,
  type ValidRow,
} from './types';
import { skuKeyOf, userKeyOf } from './natural-keys';
import {
  buildRowSchema,
  createRowValidator,
  rowColumns,
  validateRows,
  type RowSettings,
} from './validate-row';

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
      user_email: '',
      sku_code: '',
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

// The rules written out again, plainly, for cells drawn from shapes whose answer is known without
// the code under test: an independent reference for both the engine's fast path and the zod
// schemas (which share the rule functions, so comparing them with each other alone proves little).
type Expected = { ok: true; value: unknown } | { ok: false; code: string | null };

const pass = (value: unknown): Expected => ({ ok: true, value });
const refuse = (code: string | null = null): Expected => ({ ok: false, code });

function referenceText(raw: string, max: number, required: boolean): Expected {
  const t = raw.trim();
  if (t === '') return required ? refuse('required') : pass(null);
  if (t.includes('\u0000')) return refuse('malformed_csv');
  return [...t].length > max ? refuse('too_long') : pass(t);
}

/**
 * A number as Excel shows a long one ("5.63848E+12"): sign, digits, a decimal part, E, sign,
 * digits. The engine refuses such a transaction number (its digits are gone).
 */
function looksScientific(t: string): boolean {
  const digits = (s: string): boolean => s.length > 0 && [...s].every((c) => c >= '0' && c <= '9');
  const unsigned = (s: string): string => (s.startsWith('+') || s.startsWith('-') ? s.slice(1) : s);
  const parts = t.toUpperCase().split('E');
  if (parts.length !== 2) return false;
  const [mantissa = '', exponent = ''] = parts;
  const [whole = '', fraction, ...more] = unsigned(mantissa).split(/[.,]/);
  return (
    more.length === 0 &&
    digits(whole) &&
    (fraction === undefined || digits(fraction)) &&
    digits(unsigned(exponent))
  );
}

function referenceUuid(raw: string): Expected {
  const t = raw.trim();
  if (t === '') return refuse('required');
  const hex = t.toLowerCase();
  const groups = hex.split('-');
  const lengths = [8, 4, 4, 4, 12];
  const shaped =
    groups.length === 5 &&
    groups.every(
      (g, i) => g.length === lengths[i] && [...g].every((c) => '0123456789abcdef'.includes(c)),
    );
  return shaped ? pass(hex) : refuse('invalid_uuid');
}

function referenceNumber(value: bigint | null, raw: string, required: boolean): Expected {
  if (raw.trim() === '') return required ? refuse('required') : pass(null);
  return value === null ? refuse() : pass(Number(value));
}

/** Timestamps generated by the test: text -> the instant it names (null = refused). */
const knownTimestamps = new Map<string, string | null>();

function referenceRow(
  cells: Record<CanonicalColumn, string>,
  decimalComma: boolean,
): Record<CanonicalColumn, Expected> {
  const at = cells.purchased_at.trim();
  const instant = at === '' ? undefined : knownTimestamps.get(at);
  if (instant === undefined && at !== '') throw new Error(`no reference for timestamp ${at}`);
  const currency = cells.currency.trim().toUpperCase();
  return {
    transaction_number: looksScientific(cells.transaction_number.trim())
      ? refuse('malformed_csv')
      : referenceText(cells.transaction_number, 100, true),
    user_id: referenceUuid(cells.user_id),
    purchased_at: at === '' ? refuse('required') : instant ? pass(instant) : refuse('invalid_date'),
    sku_id: referenceUuid(cells.sku_id),
    quantity: referenceNumber(
      referenceQuantity(cells.quantity.trim(), decimalComma),
      cells.quantity,
      true,
    ),
    unit_price: referenceNumber(
      referenceCents(cells.unit_price.trim(), decimalComma),
      cells.unit_price,
      true,
    ),
    currency:
      currency === ''
        ? pass(null)
        : ['EUR', 'USD', 'JPY', 'CHF'].includes(currency)
          ? pass(currency)
          : refuse('invalid_currency'),
    total_amount: referenceNumber(
      referenceCents(cells.total_amount.trim(), decimalComma),
      cells.total_amount,
      false,
    ),
    store_code: referenceText(cells.store_code, 100, false),
    notes: referenceText(cells.notes, 2000, false),
    // Not columns of a row of UUIDs (rowColumns): the loops below skip them.
    user_email: pass(null),
    sku_code: pass(null),
  };
}

function valuesOf(row: ValidRow): Record<CanonicalColumn, unknown> {
  return {
    transaction_number: row.transactionNumber,
    user_id: row.userId,
    purchased_at: row.purchasedAt,
    sku_id: row.skuId,
    quantity: row.quantity,
    unit_price: row.unitPriceCents,
    currency: row.currency,
    total_amount: row.totalAmountCents,
    store_code: row.storeCode,
    notes: row.notes,
    user_email: userKeyOf(row.userId),
    sku_code: skuKeyOf(row.skuId),
  };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** An instant as wall-clock time at a whole-hour UTC offset, e.g. 2026-03-04T11:15:00+01:00. */
function withOffset(instant: Date, hours: number): string {
  const wall = new Date(instant.getTime() + hours * 3_600_000);
  const sign = hours < 0 ? '-' : '+';
  return (
    `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}` +
    `T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}` +
    `${sign}${pad(Math.abs(hours))}:00`
  );
}

const timestampCell: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2030-01-01') }),
      fc.integer({ min: -12, max: 14 }),
      fc.boolean(),
    )
    .map(([date, hours, zulu]) => {
      const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
      const text = zulu ? whole.toISOString() : withOffset(whole, hours);
      knownTimestamps.set(text, whole.toISOString());
      return text;
    }),
  fc.constantFrom('', '2026-02-30T00:00:00Z', '2026-03-04T24:00:00Z', '2026-13-01T00:00:00Z'),
);
knownTimestamps.set('2026-03-04T10:15:00Z', '2026-03-04T10:15:00.000Z'); // raw()'s own
for (const refused of ['2026-02-30T00:00:00Z', '2026-03-04T24:00:00Z', '2026-13-01T00:00:00Z']) {
  knownTimestamps.set(refused, null);
}

const oracleRow: fc.Arbitrary<Record<CanonicalColumn, string>> = fc.record({
  transaction_number: fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.constantFrom('x'.repeat(100), 'x'.repeat(101), '😀'.repeat(100), '😀'.repeat(101), ' T1 '),
    // Excel's scientific notation, and look-alikes that are not it.
    fc.constantFrom('0E0', '5.63848E+12', '-1,5e-3', '1E', 'E5', '1.2.3E4', '12E+', 'T1E5'),
  ),
  user_id: fc.oneof(
    fc.uuid(),
    fc.uuid().map((u) => u.toUpperCase()),
    fc.uuid().map((u) => ` ${u}\t`),
    fc.uuid().map((u) => u.slice(1)),
    fc.uuid().map((u) => u.replaceAll('-', '')),
    fc.constantFrom('', 'nope'),
  ),
  purchased_at: timestampCell,
  sku_id: fc.oneof(
    fc.uuid(),
    fc.uuid().map((u) => `${u}0`),
    fc.constant(''),
  ),
  quantity: fc.oneof(
    fc.nat().map(String),
    fc.stringMatching(/^[-+]?[0-9]{0,11}([.,][0-9]{0,3})?$/),
    fc.stringMatching(/^[-0-9., e]{0,6}$/),
  ),
  unit_price: fc.oneof(
    fc.stringMatching(/^[0-9]{1,10}[.,][0-9]{1,2}$/),
    fc.stringMatching(/^[-+]?[0-9]{0,12}([.,][0-9]{0,4})?$/),
    fc.stringMatching(/^[-0-9., ]{0,12}$/),
  ),
  currency: fc.constantFrom('EUR', 'eur', ' USD ', 'JPY', 'XYZ', 'EURO', ''),
  total_amount: fc.oneof(
    fc.constant(''),
    fc.stringMatching(/^[0-9]{1,10}[.,][0-9]{1,2}$/),
    fc.stringMatching(/^[-0-9.,]{0,12}$/),
  ),
  store_code: fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('s'.repeat(101), 'a\u0000b')),
  notes: fc.oneof(fc.string({ maxLength: 4 }), fc.constant('n'.repeat(2001))),
  user_email: fc.constantFrom('', 'a@b.c'),
  sku_code: fc.constantFrom('', 'C-1'),
});

describe('against a reference written in the test', () => {
  it('engine and zod schema both give the reference outcome for every cell', () => {
    let validRows = 0;
    for (const decimalComma of [false, true]) {
      const s = { ...settings, decimalComma };
      const schema = buildRowSchema(s);
      const validator = createRowValidator(s);
      fc.assert(
        fc.property(oracleRow, (cells) => {
          const expected = referenceRow(cells, decimalComma);
          const errors: RowError[] = [];
          const fast = validator.validateRow({ row: 7, cells }, errors);
          const zod = schema.safeParse(cells);
          const fastValues = fast && valuesOf(fast);
          const zodCodes = new Map(
            (zod.success ? [] : zod.error.issues).map((i) => [
              String(i.path[0]),
              (i as { params?: { code?: string } }).params?.code ?? null,
            ]),
          );
          const rowValid = Object.values(expected).every((e) => e.ok);
          // Per column: the refusal code, the normalised value (row valid), or no complaint.
          const seen = (
            refusedWith: string | null | undefined,
            value: () => unknown,
            want: Expected,
          ): unknown => {
            if (refusedWith !== undefined) {
              return { refused: want.ok || want.code !== null ? refusedWith : 'any code' };
            }
            return rowValid ? { value: value() } : 'no complaint';
          };
          for (const column of rowColumns()) {
            const want = expected[column];
            const reference = want.ok
              ? rowValid
                ? { value: want.value }
                : 'no complaint'
              : { refused: want.code ?? 'any code' };
            const engine = seen(
              errors.find((e) => e.column === column)?.code,
              () => fastValues?.[column],
              want,
            );
            const viaZod = seen(
              zodCodes.has(column) ? (zodCodes.get(column) ?? null) : undefined,
              () => (zod.success ? zod.data[column] : undefined),
              want,
            );
            expect({ column, cell: cells[column], engine, zod: viaZod }).toEqual({
              column,
              cell: cells[column],
              engine: reference,
              zod: reference,
            });
          }
          expect(fast === null).toBe(!rowValid);
          if (rowValid) validRows++;

          // Each cell alone in an otherwise valid row: its normalised value, whatever the rest.
          for (const column of rowColumns()) {
            const alone = { ...raw().cells, [column]: cells[column] };
            const want = referenceRow(alone, decimalComma)[column];
            const row = validator.validateRow({ row: 8, cells: alone }, []);
            const viaZod = schema.safeParse(alone);
            expect({
              column,
              cell: cells[column],
              engine: row ? { value: valuesOf(row)[column] } : 'refused',
              zod: viaZod.success ? { value: viaZod.data[column] } : 'refused',
            }).toEqual({
              column,
              cell: cells[column],
              engine: want.ok ? { value: want.value } : 'refused',
              zod: want.ok ? { value: want.value } : 'refused',
            });
          }
        }),
        // A known-valid row runs first: random rows are whole-row valid only by chance.
        { numRuns: 1000, examples: [[raw().cells]] },
      );
    }
    // Whole rows the reference accepts must occur, or the row-level check above proves little.
    expect(validRows).toBeGreaterThan(0);
    // ~3 s here alone; a hang ceiling, not a budget, for a loaded machine.
  }, 120_000);
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
      user_email: fc.constantFrom('a@b.c', ' A@B.C ', 'nope', ''),
      sku_code: fc.string({ maxLength: 3 }),
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

describe('natural keys (user_email, sku_code)', () => {
  const byKeys = { userByEmail: true, skuByCode: true };
  const keyed = (cells: Partial<Record<CanonicalColumn, string>>) =>
    raw({ user_id: '', sku_id: '', user_email: 'alice@example.com', sku_code: 'ABC-1', ...cells });

  it('names the member by e-mail (trimmed, lower case) and the SKU by code (exact)', () => {
    const { valid, errors } = validateRows(
      [keyed({ user_email: '  Alice@Example.COM ', sku_code: ' abc-1 ' })],
      settings,
      byKeys,
    );
    expect(errors).toEqual([]);
    expect(valid.map((r) => [r.userId, r.skuId])).toEqual([
      ['email:alice@example.com', 'code:abc-1'],
    ]);
  });

  it('requires the key in key mode and refuses what cannot be an e-mail', () => {
    const { errors } = validateRows(
      [keyed({ user_email: '', sku_code: '' }), keyed({ user_email: 'Alice Martin' })],
      settings,
      byKeys,
    );
    expect(errors.map((e) => [e.column, e.code, e.message])).toEqual([
      ['user_email', 'required', 'user_email is required'],
      ['sku_code', 'required', 'sku_code is required'],
      ['user_email', 'invalid_email', 'user_email "Alice Martin" is not an e-mail address'],
    ]);
  });

  it('a SKU code shaped like a UUID stays a code', () => {
    const { valid } = validateRows([keyed({ sku_code: SKU.toUpperCase() })], settings, byKeys);
    expect(valid[0]?.skuId).toBe(`code:${SKU.toUpperCase()}`);
  });

  it('fast path and zod schema agree in key mode', () => {
    const schema = buildRowSchema(settings, byKeys);
    const validator = createRowValidator(settings, byKeys);
    const email = fc.oneof(
      fc.emailAddress(),
      fc.emailAddress().map((e) => ` ${e.toUpperCase()} `),
      fc.constantFrom('', 'nope', 'a b@c', `${'x'.repeat(320)}@y`),
    );
    const code = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('', 'x'.repeat(201)));
    fc.assert(
      fc.property(email, code, (userEmail, skuCode) => {
        const cells = keyed({ user_email: userEmail, sku_code: skuCode }).cells;
        const errors: RowError[] = [];
        const fast = validator.validateRow({ row: 7, cells }, errors);
        const zod = schema.safeParse(cells);
        expect(fast === null).toBe(!zod.success);
        if (zod.success && fast) {
          expect([fast.userId, fast.skuId]).toEqual([
            `email:${String(zod.data.user_email)}`,
            `code:${String(zod.data.sku_code)}`,
          ]);
        } else if (!zod.success) {
          expect(errors.map((e) => [e.column, e.message])).toEqual(
            zod.error.issues.map((i) => [i.path[0], i.message]),
          );
        }
      }),
      { numRuns: 500 },
    );
  });
});
