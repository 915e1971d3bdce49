import { describe, expect, it } from 'vitest';
import { analyseCsvText } from '../domain/analyse';
import type { ImportReport } from '../domain/types';
import { serialToIso } from './excel-serial';

// Issue 12 item 4: what Excel does to a CSV is refused or read right, never stored silently wrong.

const U1 = '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01';
const S1 = '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5';
const HEADER = 'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price,store_code';
const at = '2026-03-04T10:15:00Z';
const codes = (r: ImportReport) => r.errors.map((e) => [e.row, e.column, e.code]);

describe('spreadsheet pitfalls in CSV', () => {
  it('refuses a transaction number Excel turned into scientific notation, saying the digits are gone', () => {
    for (const value of ['5.63848E+12', '"5,63848E+12"', '1E+15', '-2.5e-3']) {
      const r = analyseCsvText(`${HEADER}\n${value},${U1},${at},${S1},1,2.50,S1\n`, {}, 'a.csv');
      expect(codes(r)).toEqual([[2, 'transaction_number', 'malformed_csv']]);
      expect(r.errors[0]?.message).toMatch(/scientific notation/);
      expect(r.errors[0]?.message).toMatch(/digits .* are gone/);
      expect(r.errors[0]?.message).toMatch(/Text/);
      expect(r.purchases).toEqual([]);
    }
    // Ids that merely contain an E are ids.
    const fine = analyseCsvText(
      `${HEADER}\nE12,${U1},${at},${S1},1,2.50,S1\n1E5A,${U1},${at},${S1},1,2.50,S1\n`,
      {},
      'a.csv',
    );
    expect(codes(fine)).toEqual([]);
  });

  it('reads a quoted field after spaces as the quoted value, never with its quote marks', () => {
    const r = analyseCsvText(
      `${HEADER}\nT1, "${U1}",${at},${S1},1, "2.50", "S-03"\nT2,${U1},${at},${S1},1,2.50,  "say ""hi"""  \n`,
      {},
      'a.csv',
    );
    expect(codes(r)).toEqual([]);
    expect(r.purchases.map((p) => p.storeCode)).toEqual(['S-03', 'say "hi"']);
    expect(r.purchases[0]?.userId).toBe(U1);
  });

  it('refuses a number in the date column that looks like an Excel serial date, with a hint', () => {
    const r = analyseCsvText(
      `${HEADER}\nT1,${U1},46085.427083333336,${S1},1,2.50,S1\nT2,${U1},46085,${S1},1,2.50,S1\n`,
      {},
      'a.csv',
    );
    expect(codes(r)).toEqual([
      [2, 'purchased_at', 'invalid_date'],
      [3, 'purchased_at', 'invalid_date'],
    ]);
    expect(r.errors[0]?.message).toMatch(/Excel serial date \(2026-03-04T10:15:00\)/);
    expect(r.errors[1]?.message).toMatch(/Excel serial date \(2026-03-04\)/);
    expect(r.errors[1]?.message).toMatch(/format the column as a date/);
  });

  it('keeps the serial arithmetic of the 1900 date system', () => {
    expect(serialToIso(46085, false)).toBe('2026-03-04');
  });
});
