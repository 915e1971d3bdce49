import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseCsvText } from '../../shared/domain/analyse';
import { generatePurchases, generateRecords } from '../fixtures/generate-purchases';
import {
  STYLE,
  workbookBuffer,
  workbookParts,
  zipParts,
  type CellSpec,
  type WorkbookSpec,
} from '../fixtures/write-workbook';
import { printFigures, runCount, seedFromEnv } from './support/mode';
import {
  mutate,
  mutationArb,
  readWorkbook,
  workbookArb,
  type ReadOutcome,
} from './support/xlsx-fuzz';

// Issue 12, item 5: the workbook reader fuzzed as the CSV reader is. Generated workbooks of any
// shape, valid ones mutated byte by byte in their zip and in their XML, zip bombs and huge
// shared-string tables. For every one: no crash (a report, or a refusal that is a sentence
// about the file), no hang (a ceiling per file), memory bounded; valid purchases read from a
// workbook equal the same purchases read from CSV.

const SEED = seedFromEnv('FUZZ_SEED');
const RUNS = {
  generated: runCount(300, 3_000),
  roundTrip: runCount(40, 400),
  xmlMutations: runCount(400, 4_000),
  zipMutations: runCount(300, 3_000),
};
const tally = { reports: 0, refusals: 0, crashes: 0, hangs: 0 };

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xlsx-fuzz-'));
  console.log(`[xlsx-fuzz] seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
});
afterAll(async () => {
  printFigures('xlsx-fuzz', {
    seed: SEED,
    'files read': tally.reports + tally.refusals + tally.crashes + tally.hangs,
    reports: tally.reports,
    'refusals (sentences)': tally.refusals,
    crashes: tally.crashes,
    hangs: tally.hangs,
  });
  await rm(dir, { recursive: true, force: true });
});

async function read(bytes: Buffer, options = {}): Promise<ReadOutcome> {
  const path = join(dir, `f${n++ % 50}.xlsx`);
  await writeFile(path, bytes);
  const outcome = await readWorkbook(path, options);
  tally[
    outcome.kind === 'report'
      ? 'reports'
      : outcome.kind === 'refused'
        ? 'refusals'
        : outcome.kind === 'crash'
          ? 'crashes'
          : 'hangs'
  ]++;
  return outcome;
}

/** No crash, no hang; a report's errors name rows that exist, in order, each with a message. */
function expectSound(outcome: ReadOutcome): void {
  if (outcome.kind === 'crash') throw outcome.error;
  expect(outcome.kind).not.toBe('hang');
  if (outcome.kind !== 'report') return;
  for (const e of outcome.report.errors) {
    expect(e.row).toBeGreaterThanOrEqual(0);
    expect(e.row).toBeLessThanOrEqual(1_048_576);
    expect(e.message.length).toBeGreaterThan(0);
  }
}

const params = (runs: number) => ({ seed: SEED, numRuns: runs, endOnFailure: true });

describe('workbook fuzz', { timeout: 600_000 }, () => {
  it('generated workbooks: a report or a sentence, never a crash or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(workbookArb, fc.boolean(), async (spec, choose) => {
        const outcome = await read(
          await workbookBuffer(spec),
          choose ? { xlsx: { sheet: 'Sheet 1' } } : {},
        );
        expectSound(outcome);
        const visible = spec.sheets.filter((s) => (s.state ?? 'visible') === 'visible').length;
        if (choose || visible === 1) expect(outcome.kind).toBe('report');
        else expect(outcome.kind).toBe('refused');
        if (outcome.kind === 'report' && spec.sheets[0]?.merges) {
          expect(outcome.report.purchases).toEqual([]);
        }
      }),
      params(RUNS.generated),
    );
  });

  it('valid purchases in a workbook read as the same purchases in CSV', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.integer({ min: 1, max: 60 }),
        async (seed, rows) => {
          const csv = generatePurchases({ rows, seed, notesRate: 0.3 });
          const cells: CellSpec[][] = [];
          for (const g of generateRecords({ rows, seed, notesRate: 0.3 })) {
            for (const r of g.records) {
              cells.push(
                r.map((value, i): CellSpec => {
                  if (i === 2) {
                    const serial = (Date.parse(value) - Date.UTC(1899, 11, 30)) / 86_400_000;
                    return { v: String(serial), s: STYLE.dateTime };
                  }
                  if (i === 4) return Number(value);
                  if (i === 5 || (i === 7 && value !== ''))
                    return { v: String(Number(value)), s: STYLE.money };
                  return value === '' ? null : value;
                }),
              );
            }
          }
          const header = csv.csv.split('\n')[0]?.split(',') ?? [];
          const outcome = await read(
            await workbookBuffer({ sheets: [{ name: 'P', rows: [header, ...cells] }] }),
            { timeZone: 'UTC' },
          );
          expectSound(outcome);
          if (outcome.kind !== 'report') throw new Error(`refused: ${JSON.stringify(outcome)}`);
          const fromCsv = analyseCsvText(csv.csv, { timeZone: 'UTC' }, 'p.csv');
          expect(outcome.report.errors).toEqual(fromCsv.errors);
          expect(outcome.report.purchases).toEqual(fromCsv.purchases);
        },
      ),
      params(RUNS.roundTrip),
    );
  });

  const base: WorkbookSpec = {
    sheets: [
      {
        name: 'Purchases',
        rows: [
          ['transaction_number', 'user_id', 'purchased_at', 'sku_id', 'quantity', 'unit_price'],
          [
            'T1',
            '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01',
            { v: '46085.5', s: STYLE.dateTime },
            '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5',
            2,
            { f: 'A1', v: '12.5' },
          ],
          ['T2', 'x', 'y', 'z', { t: 'e', v: '#N/A' }, { t: 'inlineStr', v: '3' }],
        ],
        merges: [],
      },
    ],
  };

  it('mutated XML parts: a report or a sentence', async () => {
    const parts = workbookParts(base);
    const names = [...parts.keys()];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        async (name, mutations) => {
          const copy = new Map(parts);
          let bytes = copy.get(name) ?? Buffer.alloc(0);
          for (const m of mutations) bytes = mutate(bytes, m);
          copy.set(name, bytes);
          expectSound(await read(await zipParts(copy), { timeZone: 'UTC' }));
        },
      ),
      params(RUNS.xmlMutations),
    );
  });

  it('a part whose data lies past the end of the file is a sentence (found by this fuzz)', async () => {
    const bytes = mutate(await workbookBuffer(base), { kind: 'flip', at: 100900412, byte: 63 });
    const outcome = await read(bytes);
    expectSound(outcome);
    expect(outcome.kind).toBe('refused');
  });

  it('mutated zip bytes: a report or a sentence', async () => {
    const zip = await workbookBuffer(base);
    await fc.assert(
      fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), async (mutations) => {
        let bytes = zip;
        for (const m of mutations) bytes = mutate(bytes, m);
        expectSound(await read(bytes));
      }),
      params(RUNS.zipMutations),
    );
  });
});

describe('hostile workbooks', { timeout: 300_000 }, () => {
  const sheetXml = (body: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${body}</sheetData></worksheet>`;
  const withSheet = (xml: string | Buffer): Map<string, Buffer> => {
    const parts = workbookParts({ sheets: [{ name: 'S', rows: [] }] });
    parts.set('xl/worksheets/sheet1.xml', Buffer.isBuffer(xml) ? xml : Buffer.from(xml));
    return parts;
  };

  it('refuses a zip bomb by its inflation ratio before inflating it', async () => {
    const bomb = sheetXml(' '.repeat(200 * 1024 * 1024));
    const outcome = await read(await zipParts(withSheet(bomb)));
    expect(outcome).toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/times its packed size \(a zip bomb\?\)/),
    });
  });

  it('refuses an entry that inflates past the size its directory declares', async () => {
    const rows = Array.from(
      { length: 20_000 },
      (_, i) =>
        `<row r="${i + 1}"><c r="A${i + 1}" t="inlineStr"><is><t>${randomBytes(8).toString('hex')}</t></is></c></row>`,
    ).join('');
    const zip = await zipParts(withSheet(sheetXml(rows)));
    // Declare 1,000 bytes for the sheet in its local header and in the central directory.
    const name = Buffer.from('xl/worksheets/sheet1.xml');
    for (const [signature, sizeAt, nameAt] of [
      [0x04034b50, 22, 30],
      [0x02014b50, 24, 46],
    ] as const) {
      for (let i = zip.indexOf(name); i >= 0; i = zip.indexOf(name, i + 1)) {
        const start = i - nameAt;
        if (start >= 0 && zip.readUInt32LE(start) === signature)
          zip.writeUInt32LE(1000, start + sizeAt);
      }
    }
    const outcome = await read(zip);
    expect(outcome.kind).toBe('refused');
  });

  it('refuses a zip of more parts than a workbook has', async () => {
    const parts = workbookParts({ sheets: [{ name: 'S', rows: [['a']] }] });
    for (let i = 0; i < 10_001; i++) parts.set(`junk/${i}.xml`, Buffer.alloc(0));
    expect(await read(await zipParts(parts, true))).toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/more than 10000 parts/),
    });
  });

  it('refuses a row longer than 16 MB, and rows that go back up', async () => {
    const long = sheetXml(
      `<row r="1"><c r="A1" t="inlineStr"><is><t>${randomBytes(13 * 1024 * 1024).toString('base64')}</t></is></c></row>`,
    );
    expect(await read(await zipParts(withSheet(long)))).toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/longer than 16 MB/),
    });
    const back = sheetXml(
      '<row r="5"><c r="A5"><v>1</v></c></row><row r="3"><c r="A3"><v>1</v></c></row>',
    );
    expect(await read(await zipParts(withSheet(back)))).toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/row 3 after row 5/),
    });
    const wide = sheetXml('<row r="1"><c r="XFE1"><v>1</v></c></row>');
    expect(await read(await zipParts(withSheet(wide)))).toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/outside columns A-XFD/),
    });
  });

  it('reads a huge shared-string table with memory bounded', async () => {
    const count = runCount(1_000_000, 4_000_000);
    const items: string[] = [];
    for (let i = 0; i < count; i++)
      items.push(`<si><t>s${i.toString(36)}-${(i * 7919) % 1000}</t></si>`);
    const parts = workbookParts({ sheets: [{ name: 'S', rows: [] }] });
    parts.set(
      'xl/sharedStrings.xml',
      Buffer.from(
        `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">${items.join('')}</sst>`,
      ),
    );
    items.length = 0;
    parts.set(
      'xl/worksheets/sheet1.xml',
      Buffer.from(
        sheetXml(
          `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>${count - 1}</v></c></row>`,
        ),
      ),
    );
    const zip = await zipParts(parts);
    parts.clear();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const outcome = await read(zip);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(outcome.kind).toBe('report');
    if (outcome.kind === 'report')
      expect(outcome.report.headers).toEqual([
        's0-0',
        `s${(count - 1).toString(36)}-${((count - 1) * 7919) % 1000}`,
      ]);
    const grownMb = Math.round((peak - before) / 1024 / 1024);
    printFigures('xlsx-fuzz: huge shared-string table', {
      strings: count,
      'zip bytes': zip.length,
      'peak RSS growth MB': grownMb,
    });
    expect(grownMb).toBeLessThan(1024);
  });
});
