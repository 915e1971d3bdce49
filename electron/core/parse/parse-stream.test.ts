import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toStagedChunk } from '../../../shared/db/staging';
import { PurchaseList } from '../../../shared/domain/purchase-list';
import type { ParseOptions, Purchase } from '../../../shared/domain/types';
import {
  CSV_HEADER,
  generatePurchasesCsv,
  generateRecords,
} from '../../../test/fixtures/generate-purchases';
import { STYLE, writeWorkbook, type CellSpec } from '../../../test/fixtures/write-workbook';
import { disposeParseWorkers, parseCsvFile, type StreamedChunk } from './parse-file';

// The worker hands out the commit's chunks while it reads (issue 14): through the real worker,
// as parse-file.test.ts does.

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parse-stream-'));
});
afterAll(async () => {
  await disposeParseWorkers();
  await rm(dir, { recursive: true, force: true });
});

async function csvFile(text: string): Promise<string> {
  const path = join(dir, `f${n++}.csv`);
  await writeFile(path, text);
  return path;
}

type Event = { kind: 'chunk'; chunk: StreamedChunk } | { kind: 'progress'; stage: string };

/** Parses with chunks streamed; events in arrival order, and whether any came after the result. */
async function parseStreamed(
  path: string,
  maxRows: number,
  keepRows: boolean | 'packed' = false,
  options: ParseOptions = {},
): Promise<{
  events: Event[];
  chunks: StreamedChunk[];
  late: number;
  result: Awaited<ReturnType<typeof parseCsvFile>>;
  purchases: Purchase[] | PurchaseList;
}> {
  const events: Event[] = [];
  let resolved = false;
  let late = 0;
  const result = await parseCsvFile(
    path,
    { ...options, keepRows: keepRows as boolean },
    {
      streamChunkRows: maxRows,
      onChunk: (chunk) => {
        if (resolved) late++;
        events.push({ kind: 'chunk', chunk });
      },
      onProgress: (p) => events.push({ kind: 'progress', stage: p.stage }),
    },
  );
  resolved = true;
  const chunks = events.flatMap((e) => (e.kind === 'chunk' ? [e.chunk] : []));
  return { events, chunks, late, result, purchases: result.report.purchases };
}

const json = (v: unknown): string => JSON.stringify(v);

/** Each chunk's body is the commit's chunk of the finished report, byte for byte. */
function expectCommitChunks(
  chunks: readonly StreamedChunk[],
  purchases: Purchase[] | PurchaseList,
  maxRows: number,
): void {
  const list = Array.isArray(purchases) ? PurchaseList.fromArray(purchases) : purchases;
  const cut = list.chunks(maxRows);
  expect(chunks.map((c) => c.chunkNo)).toEqual([...Array(cut.length).keys()]);
  for (let k = 0; k < cut.length; k++) {
    const expected = cut.at(k);
    const chunk = chunks[k] as StreamedChunk;
    expect(json(chunk.body)).toBe(json(toStagedChunk(expected)));
    expect(chunk.purchases).toBe(expected.length);
    expect(chunk.rows).toBe(expected.reduce((s, p) => s + p.items.length, 0));
  }
}

describe('parse worker: chunks while reading', { timeout: 120_000 }, () => {
  it('hands out the commit chunks of a CSV, numbered, during the read and all before the result', async () => {
    const path = await csvFile(
      generatePurchasesCsv({ rows: 60_000, itemsPerPurchase: [1, 12], notesRate: 0.2, seed: 5 }),
    );
    const maxRows = 1000;
    const { events, chunks, late, result } = await parseStreamed(path, maxRows, true);
    expect(late).toBe(0);
    expect(result.report.errors).toEqual([]);
    expectCommitChunks(chunks, result.report.purchases, maxRows);
    expect(result.stream).toEqual({
      chunks: chunks.length,
      rows: result.report.summary.items,
      broken: null,
    });
    // Handed out while reading: before the worker says every byte is read ('analysing').
    const analysing = events.findIndex((e) => e.kind === 'progress' && e.stage === 'analysing');
    expect(analysing).toBeGreaterThan(0);
    expect(events.slice(0, analysing).filter((e) => e.kind === 'chunk').length).toBeGreaterThan(
      chunks.length / 2,
    );
    // The answer's parts (raw rows in two messages) still come through the outbox.
    expect(result.rawRows).toHaveLength(60_000);

    // The same file unstreamed: the same report, and no chunk, no stream figures.
    let unasked = 0;
    const plain = await parseCsvFile(path, {}, { onChunk: () => unasked++ });
    expect(unasked).toBe(0);
    expect(plain.stream).toBeUndefined();
    expect(json(plain.report)).toBe(json(result.report));
  });

  it('hands out the commit chunks with the purchases kept packed (the app session)', async () => {
    const path = await csvFile(generatePurchasesCsv({ purchases: 500, seed: 8 }));
    const { chunks, result } = await parseStreamed(path, 7, 'packed');
    expect(result.stream?.broken).toBeNull();
    expectCommitChunks(chunks, result.report.purchases, 7);
  });

  it('hands out the commit chunks of a workbook', async () => {
    const path = join(dir, `w${n++}.xlsx`);
    const excelRow = (record: readonly string[]): CellSpec[] =>
      record.map((value, i): CellSpec => {
        if (value === '') return null;
        if (i === 2) {
          const days = (Date.parse(value) - Date.UTC(1899, 11, 30)) / 86_400_000;
          return { v: String(days), s: STYLE.dateTime };
        }
        if (i === 4) return Number(value);
        if (i === 5 || i === 7) return { v: String(Number(value)), s: STYLE.money };
        return value;
      });
    const rows: CellSpec[][] = [[...CSV_HEADER]];
    for (const g of generateRecords({ purchases: 300, itemsPerPurchase: [1, 12], seed: 9 })) {
      for (const r of g.records) rows.push(excelRow(r));
    }
    await writeWorkbook(path, { sheets: [{ name: 'Purchases', rows }] });
    // Cells of date-times carry no zone: the file's zone is chosen, as the app asks for one.
    const { chunks, result } = await parseStreamed(path, 50, false, { timeZone: 'UTC' });
    expect(result.report.errors).toEqual([]);
    expect(result.report.purchases.length).toBe(300);
    expect(result.stream?.broken).toBeNull();
    expectCommitChunks(chunks, result.report.purchases, 50);
  });

  it('breaks on an error: says why, the chunks before it numbered, the report as unstreamed', async () => {
    const lines = generatePurchasesCsv({ purchases: 400, notesRate: 0, seed: 11 }).split('\n');
    const at = 1000;
    const cells = (lines[at] ?? '').split(',');
    cells[4] = 'many';
    lines[at] = cells.join(',');
    const path = await csvFile(lines.join('\n'));
    const { chunks, result } = await parseStreamed(path, 10);
    expect(result.stream?.broken).toMatch(/row 1001 has an error/);
    expect(result.stream?.chunks).toBe(chunks.length);
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.map((c) => c.chunkNo)).toEqual([...Array(chunks.length).keys()]);
    const plain = await parseCsvFile(path, {});
    expect(json(result.report)).toBe(json(plain.report));
  });

  it('refuses a chunk size that is not a positive integer', async () => {
    const path = await csvFile(generatePurchasesCsv({ purchases: 2, seed: 1 }));
    await expect(parseCsvFile(path, {}, { streamChunkRows: 0 })).rejects.toThrow(RangeError);
  });
});
