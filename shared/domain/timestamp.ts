import type { Outcome } from './money';
import type { ParseOptions } from './types';

/**
 * purchased_at rules. Accepted, always producing an ISO 8601 UTC instant:
 * - ISO 8601 date-time with an offset: 2026-03-04T10:15:00Z, 2026-03-04 10:15+01:00, ... UTC
 * - ISO 8601 date-time without an offset only when the user chose a time zone (IANA, via Intl,
 *   DST-aware); a local time that does not exist (spring forward) or exists twice (fall back) in
 *   that zone is refused rather than guessed
 * - a date alone (2026-03-04) is 00:00 of that day in the chosen zone, or UTC when none is chosen
 *   (a date carries no time of day to misplace, and UTC keeps the calendar day in the database)
 * - 03/04/2026 only with dateFormat 'dmy' or 'mdy'; otherwise it is ambiguous_date
 */

export type DateFormat = NonNullable<ParseOptions['dateFormat']>;

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * Same text as Date#toISOString for years 0-9999, several times faster (toISOString was the
 * single biggest cost of validating a row). Built from char codes so the result is one flat
 * string: a template literal makes a rope of ~6 nodes per value, which costs memory and time
 * for the 300k timestamps a 1M-row file keeps.
 */
export function formatIsoUtc(ms: number): string {
  const days = Math.floor(ms / MS_PER_DAY);
  let rest = ms - days * MS_PER_DAY;
  // civil_from_days (H. Hinnant)
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) return new Date(ms).toISOString();
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const millis = rest - second * 1000;
  const d = (n: number): number => 48 + n;
  return String.fromCharCode(
    d(Math.floor(year / 1000)),
    d(Math.floor(year / 100) % 10),
    d(Math.floor(year / 10) % 10),
    d(year % 10),
    45,
    d(Math.floor(month / 10)),
    d(month % 10),
    45,
    d(Math.floor(day / 10)),
    d(day % 10),
    84,
    d(Math.floor(hour / 10)),
    d(hour % 10),
    58,
    d(Math.floor(minute / 10)),
    d(minute % 10),
    58,
    d(Math.floor(second / 10)),
    d(second % 10),
    46,
    d(Math.floor(millis / 100)),
    d(Math.floor(millis / 10) % 10),
    d(millis % 10),
    90,
  );
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** UTC offsets of one IANA zone, cached per UTC hour (an hour holds at most one transition). */
export class ZoneOffsets {
  private readonly format: Intl.DateTimeFormat;
  private readonly hours = new Map<number, number>();

  constructor(readonly zone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Offset in ms (local - UTC) at an instant, straight from Intl. */
  exact(utcMs: number): number {
    let year = 0;
    let month = 0;
    let day = 0;
    let hour = 0;
    let minute = 0;
    let second = 0;
    for (const part of this.format.formatToParts(utcMs)) {
      switch (part.type) {
        case 'year':
          year = Number(part.value);
          break;
        case 'month':
          month = Number(part.value);
          break;
        case 'day':
          day = Number(part.value);
          break;
        case 'hour':
          hour = Number(part.value);
          break;
        case 'minute':
          minute = Number(part.value);
          break;
        case 'second':
          second = Number(part.value);
          break;
        default:
          break;
      }
    }
    const local =
      daysFromCivil(year, month, day) * MS_PER_DAY +
      hour * 3_600_000 +
      minute * 60_000 +
      second * 1000;
    return local - Math.floor(utcMs / 1000) * 1000;
  }

  offsetAt(utcMs: number): number {
    const hour = Math.floor(utcMs / 3_600_000);
    let cached = this.hours.get(hour);
    if (cached === undefined) {
      const start = this.exact(hour * 3_600_000);
      const end = this.exact(hour * 3_600_000 + 3_599_999);
      cached = start === end ? start : Number.NaN; // NaN: a transition inside this hour
      if (this.hours.size > 200_000) this.hours.clear();
      this.hours.set(hour, cached);
    }
    return Number.isNaN(cached) ? this.exact(utcMs) : cached;
  }

  /**
   * Every instant whose local wall-clock time in this zone is `localMs` (wall time written as if
   * it were UTC): none in a spring-forward gap, two in a fall-back overlap, else one.
   */
  instantsFor(localMs: number): number[] {
    const before = this.offsetAt(localMs - MS_PER_DAY);
    const after = this.offsetAt(localMs + MS_PER_DAY);
    const found: number[] = [];
    for (const offset of before === after ? [before] : [before, after]) {
      const utc = localMs - offset;
      if (this.offsetAt(utc) === offset && !found.includes(utc)) found.push(utc);
    }
    return found.sort((a, b) => a - b);
  }
}

const zones = new Map<string, ZoneOffsets>();
export function zoneOffsets(zone: string): ZoneOffsets {
  let z = zones.get(zone);
  if (!z) {
    z = new ZoneOffsets(zone);
    zones.set(zone, z);
  }
  return z;
}

function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Fast path for the usual export shape, YYYY-MM-DDTHH:MM:SS[.f{1,3}](Z|+HH:MM), without regex
 * or allocation; NaN for anything else (parseTimestamp then decides). Accepts a subset of what
 * parseTimestamp accepts, with the same result.
 */
export function fastUtcMs(s: string): number {
  const n = s.length;
  if (n < 20 || n > 29) return Number.NaN;
  const c10 = s.charCodeAt(10);
  if (
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    (c10 !== 84 && c10 !== 32) ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  ) {
    return Number.NaN;
  }
  const y1 = digits2(s, 0);
  const y2 = digits2(s, 2);
  const month = digits2(s, 5);
  const day = digits2(s, 8);
  const hour = digits2(s, 11);
  const minute = digits2(s, 14);
  const second = digits2(s, 17);
  if (y1 < 0 || y2 < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) {
    return Number.NaN;
  }
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return Number.NaN;
  const year = y1 * 100 + y2;
  if (day > daysInMonth(year, month)) return Number.NaN;
  let i = 19;
  let millis = 0;
  if (s.charCodeAt(i) === 46) {
    let scale = 100;
    i++;
    const start = i;
    while (i < n && i - start < 3) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      millis += d * scale;
      scale /= 10;
      i++;
    }
    if (i === start) return Number.NaN;
  }
  let offset = 0;
  const z = s.charCodeAt(i);
  if (z === 90 && i + 1 === n) {
    offset = 0;
  } else if ((z === 43 || z === 45) && i + 6 === n && s.charCodeAt(i + 3) === 58) {
    const oh = digits2(s, i + 1);
    const om = digits2(s, i + 4);
    if (oh < 0 || oh > 18 || om < 0 || om > 59) return Number.NaN;
    offset = (oh * 60 + om) * 60_000 * (z === 45 ? -1 : 1);
  } else {
    return Number.NaN;
  }
  const ms =
    daysFromCivil(year, month, day) * MS_PER_DAY +
    hour * 3_600_000 +
    minute * 60_000 +
    second * 1000 +
    millis -
    offset;
  return inStoredRange(ms) ? ms : Number.NaN;
}

// The years the database stores and gives back as written (ISO 8601 without a sign): 0001-9999,
// in UTC. Year 0000 does not exist in PostgreSQL, and an offset can move 9999-12-31 past it.
const MIN_MS = daysFromCivil(1, 1, 1) * MS_PER_DAY;
const MAX_MS = daysFromCivil(10000, 1, 1) * MS_PER_DAY - 1;

function inStoredRange(ms: number): boolean {
  return ms >= MIN_MS && ms <= MAX_MS;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)? ?(?:([Zz]|UTC|GMT)|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;
const SLASHED =
  /^(\d{1,2})([/.-])(\d{1,2})\2(\d{2,4})(?:[Tt ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)? ?([AaPp][Mm])? ?(?:([Zz]|UTC|GMT)|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

export interface TimestampSettings {
  dateFormat: DateFormat;
  timeZone: string | null;
}

const ok = (value: string): Outcome<string> => ({ ok: true, value });
const notReal: Outcome<string> = { ok: false, code: 'invalid_date', reason: 'is not a real date' };
const notTime: Outcome<string> = {
  ok: false,
  code: 'invalid_date',
  reason: 'is not a valid time of day',
};

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: string | undefined;
  minute: string | undefined;
  second: string | undefined;
  fraction: string | undefined;
  meridiem: string | undefined;
  utc: string | undefined;
  sign: string | undefined;
  offsetHours: string | undefined;
  offsetMinutes: string | undefined;
}

const outOfRange: Outcome<string> = {
  ok: false,
  code: 'out_of_range',
  reason: 'is outside the years 0001-9999 once converted to UTC',
};

function instant(ms: number): Outcome<string> {
  return inStoredRange(ms) ? ok(formatIsoUtc(ms)) : outOfRange;
}

function toInstant(p: Parts, settings: TimestampSettings): Outcome<string> {
  if (p.month < 1 || p.month > 12 || p.day < 1 || p.day > daysInMonth(p.year, p.month)) {
    return notReal;
  }
  let ms = daysFromCivil(p.year, p.month, p.day) * MS_PER_DAY;
  const dateOnly = p.hour === undefined;
  if (!dateOnly) {
    let hour = Number(p.hour);
    const minute = Number(p.minute);
    const second = p.second === undefined ? 0 : Number(p.second);
    if (p.meridiem !== undefined) {
      if (hour < 1 || hour > 12) return notTime;
      hour = (hour % 12) + (p.meridiem.toLowerCase() === 'pm' ? 12 : 0);
    }
    if (hour > 23 || minute > 59 || second > 59) return notTime;
    let millis = 0;
    if (p.fraction !== undefined) {
      // Sub-millisecond digits would be dropped by the database's millisecond ISO form: refuse
      // rather than round a timestamp silently.
      if (/[1-9]/.test(p.fraction.slice(3))) {
        return {
          ok: false,
          code: 'invalid_date',
          reason: 'has more precision than milliseconds',
        };
      }
      millis = Number(p.fraction.slice(0, 3).padEnd(3, '0'));
    }
    ms += hour * 3_600_000 + minute * 60_000 + second * 1000 + millis;
  }
  if (p.utc !== undefined) return instant(ms);
  if (p.sign !== undefined) {
    const oh = Number(p.offsetHours);
    const om = p.offsetMinutes === undefined ? 0 : Number(p.offsetMinutes);
    if (oh > 18 || om > 59) {
      return { ok: false, code: 'invalid_date', reason: 'has an impossible UTC offset' };
    }
    const offset = (oh * 60 + om) * 60_000 * (p.sign === '-' ? -1 : 1);
    return instant(ms - offset);
  }
  if (settings.timeZone === null) {
    if (dateOnly) return instant(ms);
    return {
      ok: false,
      code: 'missing_time_zone',
      reason:
        'has no time zone: add an offset (like Z or +01:00) or choose the time zone of the file',
    };
  }
  const instants = zoneOffsets(settings.timeZone).instantsFor(ms);
  if (instants.length === 1) return instant(instants[0] ?? ms);
  if (instants.length === 0) {
    return {
      ok: false,
      code: 'invalid_date',
      reason: `does not exist in ${settings.timeZone} (the clocks skip that time); add an offset`,
    };
  }
  return {
    ok: false,
    code: 'ambiguous_date',
    reason: `happens twice in ${settings.timeZone} (the clocks go back); add an offset to say which`,
  };
}

export function parseTimestamp(text: string, settings: TimestampSettings): Outcome<string> {
  const iso = ISO.exec(text);
  if (iso) {
    return toInstant(
      {
        year: Number(iso[1]),
        month: Number(iso[2]),
        day: Number(iso[3]),
        hour: iso[4],
        minute: iso[5],
        second: iso[6],
        fraction: iso[7],
        meridiem: undefined,
        utc: iso[8],
        sign: iso[9],
        offsetHours: iso[10],
        offsetMinutes: iso[11],
      },
      settings,
    );
  }
  const slashed = SLASHED.exec(text);
  if (slashed) {
    if (settings.dateFormat === 'iso') {
      return {
        ok: false,
        code: 'ambiguous_date',
        reason:
          'is ambiguous: choose the date format (day/month/year or month/day/year) or use ISO 8601 (2026-03-04)',
      };
    }
    const yearText = slashed[4] ?? '';
    if (yearText.length !== 4) {
      return { ok: false, code: 'ambiguous_date', reason: 'needs a 4-digit year' };
    }
    const first = Number(slashed[1]);
    const second = Number(slashed[3]);
    return toInstant(
      {
        year: Number(yearText),
        month: settings.dateFormat === 'dmy' ? second : first,
        day: settings.dateFormat === 'dmy' ? first : second,
        hour: slashed[5],
        minute: slashed[6],
        second: slashed[7],
        fraction: slashed[8],
        meridiem: slashed[9],
        utc: slashed[10],
        sign: slashed[11],
        offsetHours: slashed[12],
        offsetMinutes: slashed[13],
      },
      settings,
    );
  }
  return {
    ok: false,
    code: 'invalid_date',
    reason: 'is not a date: use ISO 8601, like 2026-03-04T10:15:00Z',
  };
}
