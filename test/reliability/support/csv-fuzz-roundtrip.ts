import fc from 'fast-check';
import Papa from 'papaparse';
import { csvLine } from '../../../electron/core/files/csv-write';
import {
  OPTIONAL_COLUMNS,
  REQUIRED_COLUMNS,
  type CanonicalColumn,
  type CsvDelimiter,
  type ParseOptions,
  type Purchase,
  type PurchaseItem,
} from '../../../shared/domain/types';
import { ALIASES } from './csv-fuzz';

// Round trip for fuzz.test.ts: purchases drawn by fast-check are written as a CSV (papaparse's
// writer, or the app's own "save fixed file" writer), read back by the engine and must come out
// as exactly the purchases that went in. The expected purchases are computed here from the drawn
// values alone, never from the engine.
//
// What the engine normalises, and the generator therefore draws already normalised or maps the
// same way on purpose: ids are compared lower-case, currency upper-case, times as ISO 8601 UTC
// with milliseconds, a purchase's notes are its first item's note, text cells are trimmed (drawn
// text has no surrounding white space, so trimming cannot merge two values).

export interface RoundTripItem {
  skuId: string;
  quantity: number;
  priceCents: number;
  notes: string | null;
}

export interface RoundTripPurchase {
  transactionNumber: string;
  userId: string;
  /** The instant, and how it is written. */
  atMs: number;
  time: {
    style: 'Z' | 'offset' | 'local';
    offsetMinutes: number;
    space: boolean;
    compact: boolean;
  };
  currency: string | null;
  total: 'none' | 'exact' | 'plus-cent' | 'minus-cent';
  storeCode: string | null;
  items: RoundTripItem[];
}

export interface RoundTripFile {
  purchases: RoundTripPurchase[];
  writer: 'papaparse' | 'save-fixed';
  delimiter: CsvDelimiter;
  newline: '\n' | '\r\n';
  bom: boolean;
  tellDelimiter: boolean;
  timeZone: string | null;
  /** Columns in file order: the required ones and some optional ones, each maybe an alias. */
  columns: { column: CanonicalColumn; header: string }[];
  /** Interleave the rows of different purchases (grouping must find them anywhere). */
  shuffle: number | null;
  priceStyle: number;
  upperIds: boolean;
}

/** Text a spreadsheet would run as a formula: the save-fixed writer's trouble (see below). */
const FORMULA_TEXT = ['=SUM(A1:A3)', '-5% off', '+33 1 23', '@mention'];

const SPECIAL_TEXT = [
  'a, b',
  'say "hi"',
  'line\nbreak',
  'cr\r\nlf',
  'tab\there',
  'semi;colon',
  'pipe|bar',
  '"quoted"',
  "it's",
  'ünïcödé ✓',
  '日本語',
  '🙂 emoji',
  '1,5',
  '""',
];

/** Text the engine keeps as written: no surrounding white space, nothing it refuses. */
function cleanText(maxLength: number): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength }) },
      { weight: 6, arbitrary: fc.constantFrom(...SPECIAL_TEXT) },
      { weight: 1, arbitrary: fc.constantFrom(...FORMULA_TEXT) },
      {
        weight: 3,
        arbitrary: fc
          .tuple(fc.constantFrom(...SPECIAL_TEXT), fc.string({ unit: 'grapheme', maxLength: 8 }))
          .map(([a, b]) => `${a}${b}`),
      },
    )
    .filter(
      (s) =>
        s.length > 0 &&
        s === s.trim() &&
        [...s].length <= maxLength &&
        !s.includes('\u0000') && // refused on purpose: PostgreSQL text cannot hold it
        !s.includes('\ufffd'), // refused on purpose: it marks bytes that could not be decoded
    );
}

const ZONES = ['Europe/Paris', 'America/New_York', 'Asia/Kathmandu', 'Pacific/Chatham', 'UTC'];
const MIN_MS = Date.UTC(1971, 0, 1);
const MAX_MS = Date.UTC(2099, 11, 31);

// Few of many, or many cheap ones: a purchase stays far below the 9,999,999,999.99 limit.
const amountArb = fc.oneof(
  fc.record({
    quantity: fc.integer({ min: 1, max: 20 }),
    priceCents: fc.integer({ min: 0, max: 99_999_999 }),
  }),
  fc.record({
    quantity: fc.integer({ min: 1, max: 99_999 }),
    priceCents: fc.integer({ min: 0, max: 10_000 }),
  }),
);

const itemArb: fc.Arbitrary<RoundTripItem> = fc
  .record({ skuId: fc.uuid(), amount: amountArb, notes: fc.option(cleanText(60), { freq: 2 }) })
  .map(({ skuId, amount, notes }) => ({ skuId, ...amount, notes }));

const purchaseArb = (userIds: readonly string[]): fc.Arbitrary<RoundTripPurchase> =>
  fc.record({
    transactionNumber: cleanText(40),
    userId: userIds.length > 0 ? fc.oneof(fc.constantFrom(...userIds), fc.uuid()) : fc.uuid(),
    atMs: fc.oneof(
      fc.integer({ min: MIN_MS / 1000, max: MAX_MS / 1000 }).map((s) => s * 1000),
      fc.integer({ min: MIN_MS, max: MAX_MS }),
    ),
    time: fc.record({
      style: fc.constantFrom<'Z' | 'offset' | 'local'>('Z', 'offset', 'local'),
      offsetMinutes: fc.integer({ min: -48, max: 56 }).map((q) => q * 15),
      space: fc.boolean(),
      compact: fc.boolean(),
    }),
    currency: fc.constantFrom(null, 'EUR', 'usd', 'JPY', 'CHF'),
    total: fc.constantFrom<RoundTripPurchase['total']>('none', 'exact', 'plus-cent', 'minus-cent'),
    storeCode: fc.option(cleanText(20), { freq: 2 }),
    items: fc.array(itemArb, { minLength: 1, maxLength: 5 }),
  });

export function roundTripFileArb(userIds: readonly string[] = []): fc.Arbitrary<RoundTripFile> {
  return fc
    .record({
      purchases: fc.uniqueArray(purchaseArb(userIds), {
        minLength: 1,
        maxLength: 8,
        selector: (p) => p.transactionNumber,
      }),
      writer: fc.constantFrom<'papaparse' | 'save-fixed'>('papaparse', 'save-fixed'),
      delimiter: fc.constantFrom<CsvDelimiter>(',', ';', '\t', '|'),
      newline: fc.constantFrom<'\n' | '\r\n'>('\n', '\r\n'),
      bom: fc.boolean(),
      tellDelimiter: fc.boolean(),
      timeZone: fc.option(fc.constantFrom(...ZONES)),
      optional: fc.subarray([...OPTIONAL_COLUMNS]),
      order: fc.array(fc.nat(), { minLength: 10, maxLength: 10 }),
      aliases: fc.array(fc.nat(), { minLength: 10, maxLength: 10 }),
      useAliases: fc.boolean(),
      shuffle: fc.option(fc.nat()),
      priceStyle: fc.nat(),
      upperIds: fc.boolean(),
    })
    .map((f): RoundTripFile => {
      // An optional column some purchase needs is always written; others only when drawn.
      const needed = new Set<CanonicalColumn>(f.optional);
      for (const p of f.purchases) {
        if (p.currency !== null) needed.add('currency');
        if (p.total !== 'none') needed.add('total_amount');
        if (p.storeCode !== null) needed.add('store_code');
        if (p.items.some((i) => i.notes !== null)) needed.add('notes');
      }
      const columns = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS.filter((c) => needed.has(c))]
        .map((column, i) => ({ column, key: f.order[i] ?? i }))
        .sort((a, b) => a.key - b.key)
        .map(({ column }, i) => {
          const aliases = ALIASES[column];
          const pick = f.aliases[i] ?? 0;
          return {
            column,
            header: f.useAliases ? (aliases[pick % aliases.length] ?? column) : column,
          };
        });
      const saveFixed = f.writer === 'save-fixed';
      return {
        purchases: f.purchases,
        writer: saveFixed ? 'save-fixed' : 'papaparse',
        // The save-fixed writer always writes ',' and CRLF with a BOM.
        delimiter: saveFixed ? ',' : f.delimiter,
        newline: saveFixed ? '\r\n' : f.newline,
        bom: saveFixed ? true : f.bom,
        tellDelimiter: f.tellDelimiter,
        timeZone: f.timeZone,
        columns,
        shuffle: f.shuffle,
        priceStyle: f.priceStyle,
        upperIds: f.upperIds,
      };
    });
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Wall-clock fields of an instant in a zone, from Intl (independent of the engine's code). */
const formats = new Map<string, Intl.DateTimeFormat>();

function wallClock(ms: number, zone: string): number[] {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, format);
  }
  const parts = format.formatToParts(ms);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return [get('year'), get('month'), get('day'), get('hour'), get('minute'), get('second')];
}

function offsetMs(ms: number, zone: string): number {
  const [y = 0, mo = 1, d = 1, h = 0, mi = 0, s = 0] = wallClock(ms, zone);
  return Date.UTC(y, mo - 1, d, h, mi, s) - Math.floor(ms / 1000) * 1000;
}

/** The text written for a purchase's time: Z, an explicit offset, or local time in the zone. */
export function writeTime(p: RoundTripPurchase, zone: string | null): string {
  const sep = p.time.space ? ' ' : 'T';
  const millis = p.atMs % 1000 === 0 ? '' : `.${pad(p.atMs % 1000, 3)}`;
  const format = (local: number): string => {
    const d = new Date(local);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}${sep}${pad(
      d.getUTCHours(),
    )}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${millis}`;
  };
  let style = p.time.style;
  // Local time is unambiguous only away from a clock change: near one, write an offset instead.
  if (style === 'local') {
    const day = 26 * 3_600_000;
    if (zone === null || offsetMs(p.atMs - day, zone) !== offsetMs(p.atMs + day, zone)) {
      style = 'offset';
    }
  }
  if (style === 'Z') return `${format(p.atMs)}Z`;
  if (style === 'local' && zone !== null) return format(p.atMs + offsetMs(p.atMs, zone));
  const off = p.time.offsetMinutes;
  const sign = off < 0 ? '-' : '+';
  const hh = pad(Math.floor(Math.abs(off) / 60));
  const mm = pad(Math.abs(off) % 60);
  return `${format(p.atMs + off * 60_000)}${sign}${hh}${p.time.compact ? '' : ':'}${mm}`;
}

function sumCents(p: RoundTripPurchase): number {
  return p.items.reduce((sum, i) => sum + i.quantity * i.priceCents, 0);
}

function givenTotal(p: RoundTripPurchase): number | null {
  const sum = sumCents(p);
  switch (p.total) {
    case 'none':
      return null;
    case 'exact':
      return sum;
    case 'plus-cent':
      return sum + 1;
    case 'minus-cent':
      return sum === 0 ? 0 : sum - 1;
  }
}

/** Cents in one of several spellings the rules accept: 12.50, 12.5, 12, 0012.50, .5 ... */
export function writeMoney(cents: number, style: number, decimalComma: boolean): string {
  const sep = decimalComma ? ',' : '.';
  const whole = Math.floor(cents / 100);
  const rest = cents % 100;
  switch (style % 4) {
    case 1:
      if (rest === 0) return String(whole);
      return rest % 10 === 0 ? `${whole}${sep}${rest / 10}` : `${whole}${sep}${pad(rest)}`;
    case 2:
      return `00${whole}${sep}${pad(rest)}`;
    case 3:
      return whole === 0 && rest !== 0 ? `${sep}${pad(rest)}` : `${whole}${sep}${pad(rest)}`;
    default:
      return `${whole}${sep}${pad(rest)}`;
  }
}

interface Line {
  purchase: RoundTripPurchase;
  item: RoundTripItem;
}

function linesInFileOrder(file: RoundTripFile): Line[] {
  const lines = file.purchases.flatMap((purchase) =>
    purchase.items.map((item) => ({ purchase, item })),
  );
  if (file.shuffle !== null) {
    let state = file.shuffle + 1;
    for (let i = lines.length - 1; i > 0; i--) {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      const j = state % (i + 1);
      const t = lines[i];
      const u = lines[j];
      if (t && u) {
        lines[i] = u;
        lines[j] = t;
      }
    }
  }
  return lines;
}

export function parseOptionsFor(file: RoundTripFile): ParseOptions {
  return {
    ...(file.tellDelimiter ? { csv: { delimiter: file.delimiter } } : {}),
    ...(file.timeZone ? { timeZone: file.timeZone } : {}),
  };
}

/** The records (header first) of the file. */
export function roundTripRecords(file: RoundTripFile): string[][] {
  const decimalComma = file.delimiter === ';';
  const ids = (id: string): string => (file.upperIds ? id.toUpperCase() : id);
  const rows = linesInFileOrder(file).map(({ purchase: p, item }) => {
    const total = givenTotal(p);
    const cells: Record<CanonicalColumn, string> = {
      transaction_number: p.transactionNumber,
      user_id: ids(p.userId),
      purchased_at: writeTime(p, file.timeZone),
      sku_id: ids(item.skuId),
      quantity: String(item.quantity),
      unit_price: writeMoney(item.priceCents, file.priceStyle, decimalComma),
      currency: p.currency ?? '',
      total_amount: total === null ? '' : writeMoney(total, file.priceStyle + 1, decimalComma),
      store_code: p.storeCode ?? '',
      notes: item.notes ?? '',
      user_email: '',
      sku_code: '',
    };
    return file.columns.map(({ column }) => cells[column]);
  });
  return [file.columns.map((c) => c.header), ...rows];
}

/** The file's text, written by the chosen writer. */
export function roundTripText(file: RoundTripFile): string {
  const records = roundTripRecords(file);
  if (file.writer === 'save-fixed') {
    // The "save fixed file" export (session-service saveFixed -> writeCsv -> csvLine, verbatim).
    return `\ufeff${records.map((r) => csvLine(r, { neutralise: false })).join('')}`;
  }
  const body = Papa.unparse(records, { delimiter: file.delimiter, newline: file.newline });
  return `${file.bom ? '\ufeff' : ''}${body}${file.newline}`;
}

/** The purchases the engine must report for the file, computed from the drawn values. */
export function expectedPurchases(file: RoundTripFile): Purchase[] {
  const lines = linesInFileOrder(file);
  const byTransaction = new Map<string, { p: RoundTripPurchase; items: PurchaseItem[] }>();
  lines.forEach(({ purchase, item }, i) => {
    const row = i + 2;
    let entry = byTransaction.get(purchase.transactionNumber);
    if (!entry) {
      entry = { p: purchase, items: [] };
      byTransaction.set(purchase.transactionNumber, entry);
    }
    entry.items.push({
      row,
      lineNumber: entry.items.length + 1,
      skuId: item.skuId.toLowerCase(),
      quantity: item.quantity,
      unitPriceCents: item.priceCents,
      notes: item.notes,
    });
  });
  return [...byTransaction.values()].map(({ p, items }) => ({
    transactionNumber: p.transactionNumber,
    userId: p.userId.toLowerCase(),
    purchasedAt: new Date(p.atMs).toISOString(),
    currency: p.currency === null ? null : p.currency.toUpperCase(),
    totalAmountCents: givenTotal(p) ?? sumCents(p),
    storeCode: p.storeCode,
    notes: items.find((i) => i.notes !== null)?.notes ?? null,
    rows: items.map((i) => i.row),
    items,
  }));
}
