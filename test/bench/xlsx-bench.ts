import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { disposeParseWorkers, parseCsvFile } from '../../electron/core/parse/parse-file';
import { CSV_HEADER, generateRecords, writePurchasesCsv } from '../fixtures/generate-purchases';
import { STYLE, writeWorkbook, type CellSpec } from '../fixtures/write-workbook';
import { bundleWorker } from './parse-bench';

// Issue 12: the same purchases as a CSV file and as an .xlsx workbook (typed cells as Excel
// keeps them: date-time serials, money as doubles, text ids; shared strings, as Excel writes),
// each parsed and validated through the worker in a fresh process: the workbook's time as a
// ratio of the CSV's (target <= 3) and its process's peak RSS (target < 2 GB).

export interface XlsxBenchResult {
  rows: number;
  csvBytes: number;
  xlsxBytes: number;
  writeXlsxMs: number;
  csvMs: number;
  xlsxMs: number;
  ratio: number;
  csvRssBytes: number;
  xlsxRssBytes: number;
}

interface ProbeResult {
  ms: number;
  maxRssBytes: number;
  purchases: number;
  errors: number;
}

const thisFile = fileURLToPath(import.meta.url);
const SEED = 1212;

function excelRow(record: readonly string[]): CellSpec[] {
  return record.map((value, i): CellSpec => {
    if (value === '') return null;
    if (i === 2)
      return {
        v: String((Date.parse(value) - Date.UTC(1899, 11, 30)) / 86_400_000),
        s: STYLE.dateTime,
      };
    if (i === 4) return Number(value);
    if (i === 5 || i === 7) return { v: String(Number(value)), s: STYLE.money };
    return value;
  });
}

function* sheetRows(rows: number): Generator<CellSpec[]> {
  yield [...CSV_HEADER];
  for (const g of generateRecords({ rows, seed: SEED }))
    for (const r of g.records) yield excelRow(r);
}

function probeIn(path: string, workerUrl: URL): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', thisFile, '--probe', path, workerUrl.href],
      { maxBuffer: 1 << 20 },
      (error, stdout) => {
        if (error) reject(error);
        else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ProbeResult);
      },
    );
  });
}

async function probe(path: string, workerUrl: string): Promise<void> {
  const started = performance.now();
  const { report } = await parseCsvFile(
    path,
    { timeZone: 'UTC' },
    { workerUrl: new URL(workerUrl) },
  );
  const ms = performance.now() - started;
  await disposeParseWorkers();
  console.log(
    JSON.stringify({
      ms,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      purchases: report.summary.purchases,
      errors: report.errors.length,
    } satisfies ProbeResult),
  );
}

export async function runXlsxBench(
  rows: number,
  { log = () => {} }: { log?: (line: string) => void } = {},
): Promise<XlsxBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'xlsx-bench-'));
  try {
    const csv = join(dir, `purchases-${rows}.csv`);
    const xlsx = join(dir, `purchases-${rows}.xlsx`);
    await writePurchasesCsv(csv, { rows, seed: SEED });
    const writeStarted = performance.now();
    await writeWorkbook(xlsx, { sheets: [{ name: 'Purchases', rows: sheetRows(rows) }] });
    const writeXlsxMs = performance.now() - writeStarted;
    const workerUrl = await bundleWorker(dir);
    const [csvBytes, xlsxBytes] = [(await stat(csv)).size, (await stat(xlsx)).size];
    log(
      `xlsx-bench: ${rows} rows, CSV ${csvBytes} bytes, workbook ${xlsxBytes} bytes (written in ${Math.round(writeXlsxMs)} ms)`,
    );
    // Alternating runs, each workbook run next to a CSV run: the machine is shared, so the
    // ratio is taken per pair (same moment, same load) and the median pair counts.
    const csvRuns: ProbeResult[] = [];
    const xlsxRuns: ProbeResult[] = [];
    for (let i = 0; i < 3; i++) {
      csvRuns.push(await probeIn(csv, workerUrl));
      xlsxRuns.push(await probeIn(xlsx, workerUrl));
      log(
        `xlsx-bench: run ${i + 1}: CSV ${Math.round(csvRuns[i]?.ms ?? 0)} ms, workbook ${Math.round(xlsxRuns[i]?.ms ?? 0)} ms`,
      );
    }
    const pairs = csvRuns
      .map((c, i) => ({ c, x: xlsxRuns[i] as ProbeResult, ratio: (xlsxRuns[i]?.ms ?? 0) / c.ms }))
      .sort((a, b) => a.ratio - b.ratio);
    const { c, x, ratio } = pairs[1] ?? (pairs[0] as (typeof pairs)[number]);
    if (c.purchases !== x.purchases || c.errors !== x.errors || c.purchases === 0) {
      throw new Error(
        `the workbook read differently: CSV ${c.purchases} purchases / ${c.errors} errors, workbook ${x.purchases} / ${x.errors}`,
      );
    }
    return {
      rows,
      csvBytes,
      xlsxBytes,
      writeXlsxMs,
      csvMs: c.ms,
      xlsxMs: x.ms,
      ratio,
      csvRssBytes: Math.max(...csvRuns.map((r) => r.maxRssBytes)),
      xlsxRssBytes: Math.max(...xlsxRuns.map((r) => r.maxRssBytes)),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--probe') {
  await probe(process.argv[3] ?? '', process.argv[4] ?? '');
} else if (process.argv[1] === thisFile) {
  const rows = Number(process.argv[2] ?? 100_000);
  console.log(JSON.stringify(await runXlsxBench(rows, { log: (l) => console.error(l) })));
}

/** The bench table's rows for this part (run-bench.ts). */
export function xlsxRows(x: XlsxBenchResult): ['PASS' | 'FAIL', string, string, string][] {
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const mb = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MB`;
  return [
    [
      x.ratio <= 3 ? 'PASS' : 'FAIL',
      `parse+validate ${x.rows} rows from an .xlsx workbook (${mb(x.xlsxBytes)}) vs the same CSV (${mb(x.csvBytes)})`,
      `${s(x.xlsxMs)} vs ${s(x.csvMs)}`,
      `ratio ${x.ratio.toFixed(2)} (target <= 3)`,
    ],
    [
      x.xlsxRssBytes < 2 * 1024 ** 3 ? 'PASS' : 'FAIL',
      `  peak RSS reading the workbook (CSV: ${mb(x.csvRssBytes)})`,
      mb(x.xlsxRssBytes),
      'target < 2 GB',
    ],
  ];
}
