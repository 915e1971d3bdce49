import { describe, expect, it } from 'vitest';
import { amount, count, duration, plural, table, when } from './cli-format';

describe('CLI formatting (issue 11)', () => {
  it('formats numbers, amounts, dates and plurals with Intl', () => {
    expect(count(224674642)).toBe('224,674,642');
    expect(amount(22467464288)).toBe('224,674,642.88');
    expect(plural(1, 'purchase')).toBe('1 purchase');
    expect(plural(2, 'purchase')).toBe('2 purchases');
    expect(plural(1, 'batch', 'batches')).toBe('1 batch');
    expect(when('2026-11-02T08:15:00.000Z')).toBe('2 Nov 2026, 08:15 UTC');
    expect(duration(8_100)).toBe('8.1 s');
    expect(duration(95_000)).toBe('1 min 35 s');
  });

  it('lines every column up with its header', () => {
    const text = table(
      ['ID', 'STATUS', 'PURCHASES', 'NAME'],
      [
        ['a1', 'completed', '1,200', 'March import'],
        ['b22', 'failed', '0', 'x'],
      ],
      [false, false, true, false],
    );
    const lines = text.split('\n');
    const nameAt = (lines[0] ?? '').indexOf('NAME');
    expect((lines[1] ?? '').indexOf('March import')).toBe(nameAt);
    expect((lines[2] ?? '').indexOf('x')).toBe(nameAt);
    const purchasesEnd = (lines[0] ?? '').indexOf('PURCHASES') + 'PURCHASES'.length;
    expect((lines[1] ?? '').indexOf('1,200') + 5).toBe(purchasesEnd);
  });
});
