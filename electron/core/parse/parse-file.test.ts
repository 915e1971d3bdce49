import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseCsvText } from '../../../shared/domain/analyse';
import { PurchaseList } from '../../../shared/domain/purchase-list';
import { applyReferenceCheck, collectReferenceIds } from '../../../shared/domain/reference-check';
import {
  generatePurchases,
  seededIds,
  writePurchasesCsv,
} from '../../../test/fixtures/generate-purchases';
import {
  disposeParseWorkers,
  parseCsvFile,
  prewarmParseWorker,
  type ParseProgress,
} from './parse-file';

describe('generatePurchases (fixture)', () => {
  it('is deterministic and every injected defect is reported on its rows', () => {
    const userIds = seededIds(20, 1);
    const skuIds = seededIds(40, 2);
    const options = {
      purchases: 600,
      seed: 17,
      userIds,
      skuIds,
      delimiter: ';' as const,
      defects: {
        unknown_user: 0.03,
        unknown_sku: 0.03,
        bad_quantity: 0.03,
        bad_date: 0.03,
        inconsistent_purchase: 0.03,
        total_mismatch: 0.03,
        bad_currency: 0.03,
      },
    };
    const a = generatePurchases(options);
    expect(generatePurchases(options).csv).toBe(a.csv);
    expect(new Set(a.defects.map((d) => d.kind)).size).toBe(7);

    const local = analyseCsvText(a.csv, {}, 'gen.csv');
    const ids = collectReferenceIds(local);
    const report = applyReferenceCheck(
      local,
      {
        unknownUserIds: ids.userIds.filter((u) => !userIds.includes(u)),
        unknownSkuIds: ids.skuIds.filter((s) => !skuIds.includes(s)),
        existingTransactions: [],
      },
      { skipExisting: false },
    );
    const expected: Record<string, string> = {
      unknown_user: 'unknown_user',
      unknown_sku: 'unknown_sku',
      bad_quantity: 'invalid_integer',
      bad_date: 'invalid_date',
      inconsistent_purchase: 'inconsistent_purchase',
      total_mismatch: 'total_mismatch',
      bad_currency: 'invalid_currency',
    };
    for (const [kind, code] of Object.entries(expected)) {
      const rows = a.defects.filter((d) => d.kind === kind).flatMap((d) => d.rows);
      expect(
        report.errors.filter((e) => e.code === code).map((e) => e.row),
        kind,
      ).toEqual(rows);
    }
    const clean = a.purchases.filter((p) => p.defect === null).length;
    expect(report.purchases).toHaveLength(clean);
  });
});

// These run the real worker (the .ts entry through tsx), so they take a moment.
describe('parseCsvFile', { timeout: 60_000 }, () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parse-file-test-'));
  });
  afterAll(async () => {
    await disposeParseWorkers();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the same report as the in-memory analysis, with the file hash and progress', async () => {
    const generated = generatePurchases({
      purchases: 400,
      seed: 3,
      defects: { bad_quantity: 0.05, total_mismatch: 0.05, bad_date: 0.05 },
      lineEnding: '\r\n',
      bom: true,
    });
    const path = join(dir, 'mixed.csv');
    await writeFile(path, generated.csv);
    const progress: ParseProgress[] = [];
    const { report, rawRows, stats } = await parseCsvFile(
      path,
      { keepRows: true },
      { onProgress: (p) => progress.push(p) },
    );

    const expected = analyseCsvText(generated.csv, {}, 'mixed.csv');
    const bytes = await readFile(path);
    expect(report).toEqual({
      ...expected,
      fileSha256: createHash('sha256').update(bytes).digest('hex'),
    });
    expect(report.errors.length).toBeGreaterThan(0);
    expect(rawRows).toHaveLength(generated.rows);
    expect(stats.maxRssBytes).toBeGreaterThan(0);
    const last = progress.at(-1);
    // The last word: every byte read, the data rows counted (not the header), now analysing.
    expect(last).toEqual({
      stage: 'analysing',
      bytesRead: bytes.length,
      totalBytes: bytes.length,
      rows: generated.rows,
    });

    // Every injected defect is reported on exactly its rows.
    const byCode = (code: string) => report.errors.filter((e) => e.code === code).map((e) => e.row);
    const injected = (kind: string) =>
      generated.defects.filter((d) => d.kind === kind).flatMap((d) => d.rows);
    expect(byCode('invalid_integer')).toEqual(injected('bad_quantity'));
    expect(byCode('total_mismatch')).toEqual(injected('total_mismatch'));
    expect(byCode('invalid_date')).toEqual(injected('bad_date'));
  });

  it("leaves the purchases packed when asked (purchases: 'packed'), the same purchases, no rows", async () => {
    const generated = generatePurchases({ purchases: 300, seed: 5 });
    const path = join(dir, 'packed.csv');
    await writeFile(path, generated.csv);
    const objects = await parseCsvFile(path, {});
    const packed = await parseCsvFile(path, { purchases: 'packed' });
    expect(packed.report.purchases).toBeInstanceOf(PurchaseList);
    expect(packed.report.purchases.toArray()).toEqual(objects.report.purchases);
    expect({ ...packed.report, purchases: [] }).toEqual({ ...objects.report, purchases: [] });
    expect(packed.rows).toBeUndefined();
    expect(packed.rawRows).toBeUndefined();
  });

  it('brings the raw rows of a big file back whole, in order, from several messages', async () => {
    const path = join(dir, 'parts.csv');
    const written = await writePurchasesCsv(path, { rows: 120_000, seed: 6 });
    const { rawRows, report } = await parseCsvFile(path, { keepRows: true });
    expect(report.summary.rows).toBe(written.rows);
    expect(rawRows).toHaveLength(written.rows);
    // Spreadsheet rows 2..120001, none lost or repeated at the seams between parts.
    expect(rawRows?.every((r, i) => r.row === i + 2)).toBe(true);
    expect(rawRows?.[119_999]?.cells.transaction_number).toMatch(/\S/);
    // Kept packed (the app's session, issue 18): the same rows, from the same parts.
    const packed = await parseCsvFile(path, { keepRows: 'packed' });
    expect(packed.rawRows).toBeUndefined();
    expect(packed.rows?.length).toBe(written.rows);
    expect(packed.rows?.toArray()).toEqual(rawRows);
  });

  it('streams a bigger file with several progress messages and reuses the worker', async () => {
    const path = join(dir, 'big.csv');
    const written = await writePurchasesCsv(path, { rows: 60_000, seed: 5 });
    const progress: ParseProgress[] = [];
    const first = await parseCsvFile(path, {}, { onProgress: (p) => progress.push(p) });
    expect(first.report.errors).toEqual([]);
    expect(first.report.summary).toMatchObject({ rows: 60_000, purchases: written.purchases });
    expect(progress.length).toBeGreaterThan(1);
    const bytes = progress.map((p) => p.bytesRead);
    expect([...bytes].sort((a, b) => a - b)).toEqual(bytes);
    expect(bytes.at(-1)).toBe(written.bytes);
    const second = await parseCsvFile(path, {});
    expect(second.report.purchases).toEqual(first.report.purchases);
    await disposeParseWorkers();
    prewarmParseWorker();
    const third = await parseCsvFile(path, {});
    expect(third.report.summary).toEqual(first.report.summary);
  });

  it('decodes UTF-8 split across reads and refuses undecodable bytes on their row', async () => {
    const lines = generatePurchases({
      purchases: 800,
      itemsPerPurchase: [1, 1],
      seed: 9,
      notesRate: 0,
    })
      .csv.trimEnd()
      .split('\n');
    const note = '\u20ac'.repeat(600); // 3 bytes each: 1800 bytes per row
    // Shift the content until the 1 MiB read boundary falls inside a euro sign.
    let text = '';
    for (let pad = 0; pad < 3; pad++) {
      const rows = lines.slice(1).map((l, i) => `${l}${i === 0 ? 'x'.repeat(pad) : ''}${note}`);
      text = [lines[0], ...rows].join('\n') + '\n';
      const byte = Buffer.from(text, 'utf8')[1 << 20] ?? 0;
      if (byte >= 0x80 && byte < 0xc0) break;
    }
    const bad = Buffer.concat([
      Buffer.from(`${lines[1]?.replace(/^T\d+/, 'TBAD')}caf`, 'utf8'),
      Buffer.from([0xe9, 0x0a]),
    ]);
    const good = Buffer.from(text, 'utf8');
    expect(good.length).toBeGreaterThan(1 << 20);
    const path = join(dir, 'utf8.csv');
    await writeFile(path, Buffer.concat([good, bad]));
    const { report } = await parseCsvFile(path, {});
    expect(report.errors.map((e) => [e.row, e.column, e.code])).toEqual([
      [lines.length + 1, 'notes', 'malformed_csv'],
    ]);
    expect(report.purchases).toHaveLength(800);
    expect(report.purchases.every((p) => p.notes?.endsWith(note))).toBe(true);
  });

  it('reads UTF-16 files by their byte order mark', async () => {
    const { csv } = generatePurchases({ purchases: 5, seed: 2 });
    const path = join(dir, 'utf16.csv');
    await writeFile(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')]));
    const { report } = await parseCsvFile(path, {});
    expect(report.errors).toEqual([]);
    expect(report.purchases).toEqual(analyseCsvText(csv, {}, 'x').purchases);
  });

  it('rejects a missing file with a clear message naming the path', async () => {
    const path = join(dir, 'nope.csv');
    await expect(parseCsvFile(path, {})).rejects.toThrow(
      `Cannot read "${path}": the file does not exist`,
    );
    await expect(parseCsvFile(dir, {})).rejects.toThrow('it is a folder, not a file');
  });

  it('rejects bad options before starting', async () => {
    await expect(parseCsvFile(join(dir, 'x.csv'), { timeZone: 'Nowhere/Land' })).rejects.toThrow(
      /Invalid parse options.*unknown time zone/s,
    );
  });

  it('cancels: rejects with an AbortError and the next parse still works', async () => {
    const path = join(dir, 'cancel.csv');
    await writePurchasesCsv(path, { rows: 200_000, seed: 11 });
    const controller = new AbortController();
    const started = parseCsvFile(
      path,
      {},
      {
        signal: controller.signal,
        onProgress: () => controller.abort(),
      },
    );
    await expect(started).rejects.toMatchObject({ name: 'AbortError' });
    const already = new AbortController();
    already.abort();
    await expect(parseCsvFile(path, {}, { signal: already.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    const again = await parseCsvFile(path, {});
    expect(again.report.summary.rows).toBe(200_000);
  });
});
