import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Papa from 'papaparse';
import { papaConfig } from '../../shared/csv/csv-parse';
import {
  disposeParseWorkers,
  parseCsvFile,
  type ParseFileResult,
} from '../../electron/core/parse/parse-file';
import { writePurchasesCsv } from '../fixtures/generate-purchases';

/**
 * Parse benchmark: (a) raw papaparse streaming the file (same config, UTF-8 decoding, no
 * validation) against (b) our parse + validate + group through parseCsvFile (worker thread,
 * SHA-256, report posted back), in the same run, median of several repetitions.
 *
 * (b) is measured twice: with the worker bundled to plain JS (as electron-vite ships it), and
 * with the .ts worker under tsx (the CLI/dev path, which pays tsx's start-up in every worker).
 * Both end-to-end times include starting the worker; `workerMs` is the worker's own time from
 * its first read to the finished report.
 *
 * Peak RSS: process.resourceUsage().maxRSS, read inside the worker when it finishes (a worker
 * thread shares its process, so this is the process peak up to then), and again in the host
 * after the report arrived (includes the host's copy of the report).
 */

export interface TimedRun {
  endToEndMs: number;
  workerMs: number;
  maxRssBytes: number;
}

export interface ParseBenchResult {
  rows: number;
  bytes: number;
  repetitions: number;
  rawMs: number;
  /** Median of the runs on a warm (reused) worker. */
  bundled: TimedRun;
  /** The first run, on a newly started worker (cold JIT, module loading). */
  bundledCold: TimedRun;
  tsx: TimedRun | null;
  tsxCold: TimedRun | null;
  /** bundled end-to-end / raw: the target is <= 3 at 100k rows. */
  ratio: number;
  /** bundled worker-internal / raw: the engine's own cost, start-up excluded. */
  workerRatio: number;
  hostMaxRssBytes: number;
  /** One parse in a fresh process: wall time (cold worker) and the process's peak RSS. */
  isolated: { endToEndMs: number; workerMs: number; maxRssBytes: number };
}

const thisFile = fileURLToPath(import.meta.url);

/** Runs one parse in a child process so its peak RSS is not mixed with the benchmark's. */
function isolatedRun(path: string, workerUrl: URL): Promise<ParseBenchResult['isolated']> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', thisFile, '--probe', path, workerUrl.href],
      { maxBuffer: 1 << 20 },
      (error, stdout) => {
        if (error) reject(error);
        else
          resolve(
            JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ParseBenchResult['isolated'],
          );
      },
    );
  });
}

async function probe(path: string, workerUrl: string): Promise<void> {
  const started = performance.now();
  const result = await parseCsvFile(path, {}, { workerUrl: new URL(workerUrl) });
  const endToEndMs = performance.now() - started;
  await disposeParseWorkers();
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  if (result.report.purchases.length === 0) throw new Error('probe produced no purchases');
  console.log(JSON.stringify({ endToEndMs, workerMs: result.stats.parseMs, maxRssBytes }));
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export async function rawPapaparse(path: string): Promise<number> {
  const started = performance.now();
  let rows = 0;
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(path, { highWaterMark: 1 << 20, encoding: 'utf8' });
    Papa.parse<string[], NodeJS.ReadableStream>(stream, {
      ...papaConfig({}),
      chunk: (result) => {
        rows += result.data.length;
      },
      complete: () => resolve(),
      error: reject,
    });
  });
  if (rows === 0) throw new Error('raw parse saw no rows');
  return performance.now() - started;
}

/** Bundles the worker like electron-vite would (one plain ESM file, no tsx). */
export async function bundleWorker(outDir: string): Promise<URL> {
  const { build } = await import('esbuild');
  const entry = fileURLToPath(
    new URL('../../electron/core/parse/parse-worker.ts', import.meta.url),
  );
  const outfile = join(outDir, 'parse-worker.mjs');
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'warning',
    // CommonJS dependencies (yauzl, the workbook source's zip reader) call require('fs'):
    // an ESM bundle has no require of its own.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  return pathToFileURL(outfile);
}

async function timeOurs(path: string, workerUrl: URL | undefined): Promise<TimedRun> {
  const started = performance.now();
  const result: ParseFileResult = await parseCsvFile(path, {}, workerUrl ? { workerUrl } : {});
  const endToEndMs = performance.now() - started;
  if (result.report.purchases.length === 0) throw new Error('benchmark file produced no purchases');
  return { endToEndMs, workerMs: result.stats.parseMs, maxRssBytes: result.stats.maxRssBytes };
}

function medianRun(runs: TimedRun[]): TimedRun {
  return {
    endToEndMs: median(runs.map((r) => r.endToEndMs)),
    workerMs: median(runs.map((r) => r.workerMs)),
    maxRssBytes: Math.max(...runs.map((r) => r.maxRssBytes)),
  };
}

export async function runParseBench(
  rows: number,
  options: { repetitions?: number; tsx?: boolean; log?: (line: string) => void } = {},
): Promise<ParseBenchResult> {
  const repetitions = options.repetitions ?? (rows >= 500_000 ? 3 : 5);
  const log = options.log ?? ((line: string) => console.log(line));
  const dir = await mkdtemp(join(tmpdir(), 'parse-bench-'));
  try {
    const file = join(dir, `purchases-${rows}.csv`);
    await writePurchasesCsv(file, { rows, seed: 42 });
    const bytes = (await stat(file)).size;
    const workerUrl = await bundleWorker(dir);

    const raw: number[] = [];
    await rawPapaparse(file); // warm the page cache and the JIT for the baseline
    const measure = async (url: URL | undefined): Promise<{ cold: TimedRun; warm: TimedRun[] }> => {
      await disposeParseWorkers();
      const cold = await timeOurs(file, url);
      const warm: TimedRun[] = [];
      for (let i = 0; i < repetitions; i++) {
        raw.push(await rawPapaparse(file)); // interleaved, so both see the same machine load
        warm.push(await timeOurs(file, url));
      }
      return { cold, warm };
    };
    const bundled = await measure(workerUrl);
    const tsx = (options.tsx ?? true) ? await measure(undefined) : null;
    await disposeParseWorkers();
    const isolated = await isolatedRun(file, workerUrl);
    const rawMs = median(raw);
    const result: ParseBenchResult = {
      rows,
      bytes,
      repetitions,
      rawMs,
      bundled: medianRun(bundled.warm),
      bundledCold: bundled.cold,
      tsx: tsx ? medianRun(tsx.warm) : null,
      tsxCold: tsx ? tsx.cold : null,
      ratio: median(bundled.warm.map((r) => r.endToEndMs)) / rawMs,
      workerRatio: median(bundled.warm.map((r) => r.workerMs)) / rawMs,
      hostMaxRssBytes: process.resourceUsage().maxRSS * 1024,
      isolated,
    };
    const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(0)} MB`;
    const ms = (n: number): string => `${n.toFixed(0)} ms`;
    log(`rows ${rows}, file ${mb(bytes)}, median of ${repetitions}`);
    log(`  raw papaparse (stream)        ${ms(rawMs)}`);
    log(
      `  ours, bundled worker (warm)   ${ms(result.bundled.endToEndMs)} end-to-end, ${ms(result.bundled.workerMs)} in worker; ratio ${result.ratio.toFixed(2)} (worker-only ${result.workerRatio.toFixed(2)})`,
    );
    log(
      `  ours, bundled worker (cold)   ${ms(result.bundledCold.endToEndMs)} end-to-end, ${ms(result.bundledCold.workerMs)} in worker; ratio ${(result.bundledCold.endToEndMs / rawMs).toFixed(2)}`,
    );
    if (result.tsx && result.tsxCold) {
      log(
        `  ours, .ts worker, tsx (warm)  ${ms(result.tsx.endToEndMs)} end-to-end, ${ms(result.tsx.workerMs)} in worker`,
      );
      log(
        `  ours, .ts worker, tsx (cold)  ${ms(result.tsxCold.endToEndMs)} end-to-end, ${ms(result.tsxCold.workerMs)} in worker`,
      );
    }
    log(
      `  one parse in a fresh process  ${ms(isolated.endToEndMs)} end-to-end (cold worker), ${ms(isolated.workerMs)} in worker, peak RSS ${mb(isolated.maxRssBytes)}`,
    );
    log(`  peak RSS of this bench process ${mb(result.hostMaxRssBytes)} (lifetime, all runs)`);
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (
  import.meta.url === pathToFileURL(process.argv[1] ?? '').href &&
  process.argv[2] === '--probe'
) {
  await probe(process.argv[3] ?? '', process.argv[4] ?? '');
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = Number(process.argv[2] ?? 100_000);
  if (!Number.isInteger(rows) || rows < 1) {
    console.error('usage: node --import tsx test/bench/parse-bench.ts [rows]');
    process.exit(2);
  }
  await runParseBench(rows);
}
