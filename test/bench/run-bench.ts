import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runDbBench, type DbBenchResult } from './db-bench';
import { runParseBench, type ParseBenchResult } from './parse-bench';
import { runSupabaseBench, type SupabaseBenchResult } from './supabase-bench';

// `npm run bench`: every performance target of the import, each against a baseline measured in
// the same run on this machine. Each part runs in its own process so one part's heap and peak
// RSS do not colour the next.

type Part = 'parse-100k' | 'parse-1m' | 'db-100k' | 'supabase-100k';
const MARKER = 'BENCH_RESULT ';

async function runPart(
  part: Part,
): Promise<ParseBenchResult | DbBenchResult | SupabaseBenchResult> {
  const log = (line: string): void => console.error(line);
  switch (part) {
    case 'parse-100k':
      return runParseBench(100_000, { repetitions: 5, tsx: false, log });
    case 'parse-1m':
      return runParseBench(1_000_000, { repetitions: 2, tsx: false, log });
    case 'db-100k':
      return runDbBench(100_000);
    case 'supabase-100k':
      return runSupabaseBench(100_000);
  }
}

function inChild<T>(part: Part): T {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, ['--import', 'tsx', self, '--part', part], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (child.status !== 0 || !line) throw new Error(`bench part ${part} failed (${child.status})`);
  return JSON.parse(line.slice(MARKER.length)) as T;
}

const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MB`;

async function main(): Promise<void> {
  const partIndex = process.argv.indexOf('--part');
  if (partIndex >= 0) {
    const result = await runPart(process.argv[partIndex + 1] as Part);
    process.stdout.write(`${MARKER}${JSON.stringify(result)}\n`);
    return;
  }
  console.log('Purchase import benchmark (2 cores here; medians where repeated)\n');
  const p100 = inChild<ParseBenchResult>('parse-100k');
  const p1m = inChild<ParseBenchResult>('parse-1m');
  const db = inChild<DbBenchResult>('db-100k');
  const supa = inChild<SupabaseBenchResult>('supabase-100k');

  const rows: [string, string, string, string][] = [
    [
      `parse+validate+group ${p100.rows} rows vs raw papaparse`,
      `${s(p100.bundled.endToEndMs)} vs ${s(p100.rawMs)}`,
      `ratio ${p100.ratio.toFixed(2)} (target <= 3)`,
      verdict(p100.ratio <= 3),
    ],
    [
      `commit path ${db.rows} rows / ${db.purchases} purchases vs psql COPY`,
      `${s(db.commitMs)} vs ${s(db.copyMs)}`,
      `ratio ${db.commitRatio.toFixed(2)} (target <= 3)`,
      verdict(db.commitRatio <= 3),
    ],
    [
      `slowest single RPC call (${db.slowestCall})`,
      s(db.slowestCallMs),
      'target far below 8 s',
      verdict(db.slowestCallMs < 4000),
    ],
    [
      `same commit path through supabase-js + PostgREST double (${supa.rows} rows)`,
      `${s(supa.totalMs)} vs direct ${s(db.commitMs)}`,
      `slowest call ${supa.slowestCall} ${s(supa.slowestCallMs)} (limit 8 s)`,
      verdict(supa.slowestCallMs < 8000),
    ],
    [
      `end to end ${db.rows} rows (file → committed)`,
      s(db.endToEndMs),
      'target < 5 s (the old system: ~10 min)',
      verdict(db.endToEndMs < 5000),
    ],
    [
      `parse+validate ${p1m.rows} rows (${mb(p1m.bytes)})`,
      s(p1m.bundled.endToEndMs),
      'target < 10 s',
      verdict(p1m.bundled.endToEndMs < 10_000),
    ],
    [
      `peak RSS at ${p1m.rows} rows`,
      mb(Math.max(p1m.bundled.maxRssBytes, p1m.hostMaxRssBytes)),
      'target < 2 GB',
      verdict(Math.max(p1m.bundled.maxRssBytes, p1m.hostMaxRssBytes) < 2 * 1024 ** 3),
    ],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [what, measured, target, ok] of rows) {
    console.log(`${ok}  ${what.padEnd(width)}  ${measured.padEnd(18)}  ${target}`);
  }
  console.log(
    `\nend-to-end speed-up over the ~10 minutes of the system this replaces: ${(600_000 / db.endToEndMs).toFixed(0)}x`,
  );
}

await main();
