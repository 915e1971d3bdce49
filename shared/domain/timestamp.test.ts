import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  daysFromCivil,
  fastUtcMs,
  formatIsoUtc,
  parseTimestamp,
  type TimestampSettings,
} from './timestamp';

const iso: TimestampSettings = { dateFormat: 'iso', timeZone: null };
const value = (text: string, settings: TimestampSettings = iso): string | null => {
  const r = parseTimestamp(text, settings);
  return r.ok ? r.value : null;
};
const code = (text: string, settings: TimestampSettings = iso): string | null => {
  const r = parseTimestamp(text, settings);
  return r.ok ? null : r.code;
};

describe('parseTimestamp', () => {
  it.each([
    ['2026-03-04T10:15:00Z', '2026-03-04T10:15:00.000Z'],
    ['2026-03-04T10:15Z', '2026-03-04T10:15:00.000Z'],
    ['2026-03-04 10:15:00z', '2026-03-04T10:15:00.000Z'],
    ['2026-03-04T10:15:00.5Z', '2026-03-04T10:15:00.500Z'],
    ['2026-03-04T10:15:00.123000Z', '2026-03-04T10:15:00.123Z'],
    ['2026-03-04T10:15:00+01:00', '2026-03-04T09:15:00.000Z'],
    ['2026-03-04T10:15:00+0100', '2026-03-04T09:15:00.000Z'],
    ['2026-03-04T00:15:00-05', '2026-03-04T05:15:00.000Z'],
    ['2026-03-04 10:15:00 UTC', '2026-03-04T10:15:00.000Z'],
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
  ])('%s is %s', (text, expected) => {
    expect(value(text)).toBe(expected);
  });

  it('reads a date alone as midnight UTC when no time zone was chosen', () => {
    expect(value('2026-03-04')).toBe('2026-03-04T00:00:00.000Z');
  });

  it('reads a date alone as midnight in the chosen zone', () => {
    expect(value('2026-03-04', { dateFormat: 'iso', timeZone: 'Europe/Berlin' })).toBe(
      '2026-03-03T23:00:00.000Z',
    );
  });

  it('refuses impossible dates and times', () => {
    expect(code('2026-02-30')).toBe('invalid_date');
    expect(code('2026-02-29T10:00:00Z')).toBe('invalid_date');
    expect(code('1900-02-29')).toBe('invalid_date');
    expect(code('2026-13-01')).toBe('invalid_date');
    expect(code('2026-03-04T24:00:00Z')).toBe('invalid_date');
    expect(code('2026-03-04T10:60:00Z')).toBe('invalid_date');
    expect(code('2026-03-04T10:15:00+19:00')).toBe('invalid_date');
    expect(code('2026-03-04T10:15:00.1234Z')).toBe('invalid_date');
    expect(code('yesterday')).toBe('invalid_date');
    expect(code('20260304')).toBe('invalid_date');
  });

  it('refuses a date-time without offset unless a time zone was chosen', () => {
    expect(code('2026-03-04T10:15:00')).toBe('missing_time_zone');
    expect(code('2026-03-04 10:15')).toBe('missing_time_zone');
    expect(value('2026-03-04 10:15', { dateFormat: 'iso', timeZone: 'UTC' })).toBe(
      '2026-03-04T10:15:00.000Z',
    );
  });

  it('converts across DST with the chosen zone', () => {
    const berlin: TimestampSettings = { dateFormat: 'iso', timeZone: 'Europe/Berlin' };
    expect(value('2026-03-28T12:00:00', berlin)).toBe('2026-03-28T11:00:00.000Z'); // CET
    expect(value('2026-03-29T12:00:00', berlin)).toBe('2026-03-29T10:00:00.000Z'); // CEST
    expect(value('2026-03-29T01:59:59', berlin)).toBe('2026-03-29T00:59:59.000Z');
    expect(value('2026-03-29T03:00:00', berlin)).toBe('2026-03-29T01:00:00.000Z');
    const ny: TimestampSettings = { dateFormat: 'iso', timeZone: 'America/New_York' };
    expect(value('2026-03-07 23:30', ny)).toBe('2026-03-08T04:30:00.000Z'); // EST
    expect(value('2026-03-08 03:30', ny)).toBe('2026-03-08T07:30:00.000Z'); // EDT
    expect(value('2026-11-01 03:00', ny)).toBe('2026-11-01T08:00:00.000Z'); // EST again
    // An explicit offset wins over the chosen zone.
    expect(value('2026-03-29T12:00:00Z', berlin)).toBe('2026-03-29T12:00:00.000Z');
  });

  it('refuses local times that do not exist or exist twice', () => {
    const berlin: TimestampSettings = { dateFormat: 'iso', timeZone: 'Europe/Berlin' };
    expect(code('2026-03-29T02:30:00', berlin)).toBe('invalid_date'); // clocks jump 02:00 -> 03:00
    expect(code('2026-10-25T02:30:00', berlin)).toBe('ambiguous_date'); // 02:30 happens twice
    expect(value('2026-10-25T02:30:00+02:00', berlin)).toBe('2026-10-25T00:30:00.000Z');
    const ny: TimestampSettings = { dateFormat: 'iso', timeZone: 'America/New_York' };
    expect(code('2026-03-08 02:30', ny)).toBe('invalid_date');
    expect(code('2026-11-01 01:30', ny)).toBe('ambiguous_date');
  });

  it('agrees with Intl for arbitrary instants in a DST zone', () => {
    const zone = 'Australia/Sydney';
    const format = new Intl.DateTimeFormat('sv-SE', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    fc.assert(
      fc.property(fc.integer({ min: 1_577_836_800, max: 1_893_456_000 }), (seconds) => {
        const instant = seconds * 1000;
        const local = format.format(instant).replace(' ', 'T'); // "2026-03-04T10:15:00"
        const r = parseTimestamp(local, { dateFormat: 'iso', timeZone: zone });
        if (r.ok) expect(r.value).toBe(new Date(instant).toISOString());
        else expect(r.code).toBe('ambiguous_date'); // the repeated hour in April
      }),
      { numRuns: 500 },
    );
  });

  it('refuses 03/04/2026 unless a day/month order was chosen', () => {
    expect(code('03/04/2026')).toBe('ambiguous_date');
    expect(code('13/04/2026')).toBe('ambiguous_date');
    expect(value('03/04/2026', { dateFormat: 'dmy', timeZone: null })).toBe(
      '2026-04-03T00:00:00.000Z',
    );
    expect(value('03/04/2026', { dateFormat: 'mdy', timeZone: null })).toBe(
      '2026-03-04T00:00:00.000Z',
    );
    expect(value('3.4.2026 14:05', { dateFormat: 'dmy', timeZone: 'UTC' })).toBe(
      '2026-04-03T14:05:00.000Z',
    );
    expect(value('3/4/2026 2:05 PM', { dateFormat: 'mdy', timeZone: 'UTC' })).toBe(
      '2026-03-04T14:05:00.000Z',
    );
    expect(code('31/02/2026', { dateFormat: 'dmy', timeZone: null })).toBe('invalid_date');
    expect(code('03/04/26', { dateFormat: 'dmy', timeZone: null })).toBe('ambiguous_date');
    expect(code('03/04-2026', { dateFormat: 'dmy', timeZone: null })).toBe('invalid_date');
    // ISO stays accepted whatever order was chosen.
    expect(value('2026-03-04', { dateFormat: 'mdy', timeZone: null })).toBe(
      '2026-03-04T00:00:00.000Z',
    );
  });
});

describe('fastUtcMs', () => {
  it('matches parseTimestamp wherever it answers', () => {
    const shapes = fc.oneof(
      fc
        .date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      fc.stringMatching(
        /^20[0-9]{2}-[0-1][0-9]-[0-3][0-9][T ][0-2][0-9]:[0-6][0-9]:[0-6][0-9](\.[0-9]{1,4})?(Z|[+-][0-2][0-9]:[0-6][0-9])?$/,
      ),
    );
    fc.assert(
      fc.property(shapes, (text) => {
        const fast = fastUtcMs(text);
        const full = parseTimestamp(text, iso);
        if (!Number.isNaN(fast))
          expect(full).toEqual({ ok: true, value: new Date(fast).toISOString() });
      }),
      { numRuns: 3000 },
    );
  });

  it('formats like Date#toISOString', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (ms) => {
        expect(formatIsoUtc(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 5000 },
    );
    expect(formatIsoUtc(-1)).toBe('1969-12-31T23:59:59.999Z');
    expect(formatIsoUtc(Date.UTC(2000, 1, 29, 1, 2, 3, 45))).toBe('2000-02-29T01:02:03.045Z');
  });

  it('computes days like Date.UTC', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }),
        (d) => {
          const days = daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
          expect(days).toBe(Math.floor(d.getTime() / 86_400_000));
        },
      ),
    );
  });
});
