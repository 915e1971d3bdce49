import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../shared/domain/report-schema';
import { analyseCsvTextWithRows } from '../../../shared/domain/analyse';
import { CONTROL_LABELS } from './controls';
import { ERROR_HINTS, ERROR_LABELS } from './error-codes';

const LABELS = new Set<string>(Object.values(CONTROL_LABELS));

/** Phrases of the engine's own messages that point at a setting, and the control they mean. */
const MESSAGE_PHRASES: [RegExp, string][] = [
  [/date format/i, CONTROL_LABELS.dateFormat],
  [/time zone/i, CONTROL_LABELS.timeZone],
  [/decimal comma/i, CONTROL_LABELS.decimalComma],
  [/skip transactions already imported/i, CONTROL_LABELS.skipExisting],
];

describe('fix hints (issue 11, problem 3)', () => {
  it.each([...ERROR_CODES])(
    '%s: has a label and a hint naming only controls that exist',
    (code) => {
      expect(ERROR_LABELS[code]).toBeTruthy();
      const hint = ERROR_HINTS[code];
      expect(hint.length).toBeGreaterThan(10);
      const named = [...hint.matchAll(/“([^”]+)”/g)].map((m) => m[1] as string);
      for (const name of named) expect(LABELS, `${code}: “${name}”`).toContain(name);
      // A hint that points at a setting must do so by the control's name.
      for (const [phrase, label] of MESSAGE_PHRASES) {
        if (phrase.test(hint)) expect(named, `${code} mentions ${phrase}`).toContain(label);
      }
      expect(hint).not.toMatch(/re-open the file with/i);
    },
  );

  it("the engine's messages name settings that exist on screen", () => {
    const csv = [
      'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price',
      'T1,11111111-1111-4111-8111-111111111111,03/04/2026,aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa,1,"12,50"',
      'T2,11111111-1111-4111-8111-111111111111,2026-03-04 10:00:00,aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa,1,2.50',
    ].join('\n');
    const { report } = analyseCsvTextWithRows(csv, {}, { fileName: 'f.csv', keepRows: true });
    const codes = new Set(report.errors.map((e) => e.code));
    expect(codes).toEqual(new Set(['ambiguous_date', 'missing_time_zone', 'ambiguous_number']));
    for (const error of report.errors) {
      const hits = MESSAGE_PHRASES.filter(([phrase]) => phrase.test(error.message));
      expect(hits.length, error.message).toBeGreaterThan(0);
      for (const [, label] of hits) expect(LABELS).toContain(label);
    }
  });
});
