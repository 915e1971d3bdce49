import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCliBench, type CliBenchResult } from './cli-bench';
import { runDbBench, type DbBenchResult } from './db-bench';
import { runParseBench, type ParseBenchResult } from './parse-bench';
import { runReferenceBench, type ReferenceBenchResult } from './reference-bench';
import {
  describePhases,
  runParallelBench,
  runScaleBench,
  type ParallelBenchResult,
  type ScaleBenchResult,
} from './scale-bench';
import { runFailedBatchBench, type FailedBatchBenchResult } from './failed-batch-bench';
import { ROLE_LIMIT_MS, runSupabaseBench, type SupabaseBenchResult } from './supabase-bench';
import { runXlsxBench, xlsxRows, type XlsxBenchResult } from './xlsx-bench';
import {
  keysRows,
  runKeysEndToEndBench,
  runKeysResolutionBench,
  type KeysEndToEndResult,
  type KeysResolutionResult,
} from './keys-bench';

// `npm run bench`: every performance target of the import, each against a baseline measured in
// the same run on this machine. Each part runs in its own process so one part's heap and peak
// RSS do not colour the next. `npm run bench -- scale-1m parallel-5x100k` runs only those parts.

const PARTS = [
  'parse-100k',
  'parse-1m',
  'db-100k',
  'refcheck-30k',
  'supabase-100k',
  'supabase-1m',
  'scale-1m',
  'parallel-5x100k',
  'cli-100k',
  'failed-1m',
  'xlsx-100k',
  'xlsx-1m',
  'keys-30k',
  'keys-1m',
] as const;
type Part = (typeof PARTS)[number];
const MARKER = 'BENCH_RESULT ';

interface Results {
  'parse-100k'?: ParseBenchResult;
  'parse-1m'?: ParseBenchResult;
  'db-100k'?: DbBenchResult;
  'refcheck-30k'?: ReferenceBenchResult;
  'supabase-100k'?: SupabaseBenchResult;
  'supabase-1m'?: SupabaseBenchResult;
  'failed-1m'?: FailedBatchBenchResult;
  'scale-1m'?: ScaleBenchResult;
  'parallel-5x100k'?: ParallelBenchResult;
  'cli-100k'?: CliBenchResult;
  'xlsx-100k'?: XlsxBenchResult;
  'xlsx-1m'?: XlsxBenchResult;
  'keys-30k'?: KeysResolutionResult;
  'keys-1m'?: KeysEndToEndResult;
}

async function runPart(part: Part): Promise<Results[Part]> {
  const log = (line: string): void => console.error(line);
  switch (part) {
    case 'parse-100k':
      return runParseBench(100_000, { repetitions: 5, tsx: false, log });
    case 'parse-1m':
      return runParseBench(1_000_000, { repetitions: 2, tsx: false, log });
    case 'db-100k':
      return runDbBench(100_000);
    case 'refcheck-30k':
      return runReferenceBench(30_000);
    case 'supabase-100k':
      return runSupabaseBench(100_000);
    case 'supabase-1m':
      return runSupabaseBench(1_000_000);
    case 'failed-1m':
      return runFailedBatchBench(1_000_000);
    case 'scale-1m':
      return runScaleBench(1_000_000, { log });
    case 'parallel-5x100k':
      return runParallelBench(5, 100_000, { log });
    case 'cli-100k':
      return runCliBench(100_000, { importRows: 100_000, log });
    case 'xlsx-100k':
      return runXlsxBench(100_000, { log });
    case 'xlsx-1m':
      return runXlsxBench(1_000_000, { log });
    case 'keys-30k':
      return runKeysResolutionBench(30_000);
    case 'keys-1m':
      return runKeysEndToEndBench(1_000_000, { log });
  }
}

function inChild<P extends Part>(part: P): NonNullable<Results[P]> {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, ['--import', 'tsx', self, '--part', part], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (child.status !== 0 || !line) throw new Error(`bench part ${part} failed (${child.status})`);
  return JSON.parse(line.slice(MARKER.length)) as NonNullable<Results[P]>;
}

type Verdict = 'PASS' | 'FAIL' | 'INFO';
type Row = [Verdict, string, string, string];

const verdict = (ok: boolean): Verdict => (ok ? 'PASS' : 'FAIL');
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MB`;

/** The table rows of the parts that ran; a row comparing two parts needs both. */
function rowsOf(r: Results): Row[] {
  const rows: Row[] = [];
  const { 'parse-100k': p100, 'parse-1m': p1m, 'db-100k': db, 'supabase-100k': supa } = r;
  const supa1m = r['supabase-1m'];
  if (p100) {
    rows.push([
      verdict(p100.ratio <= 3),
      `parse+validate+group ${p100.rows} rows vs raw papaparse`,
      `${s(p100.bundled.endToEndMs)} vs ${s(p100.rawMs)}`,
      `ratio ${p100.ratio.toFixed(2)} (target <= 3)`,
    ]);
  }
  if (db) {
    rows.push(
      [
        verdict(db.commitRatio <= 3),
        `commit path ${db.rows} rows / ${db.purchases} purchases vs psql COPY`,
        `${s(db.commitMs)} vs ${s(db.copyMs)}`,
        `ratio ${db.commitRatio.toFixed(2)} (target <= 3)`,
      ],
      [
        verdict(db.slowestCallMs < 4000),
        `slowest single RPC call (${db.slowestCall})`,
        s(db.slowestCallMs),
        'target far below 8 s',
      ],
    );
  }
  const ref = r['refcheck-30k'];
  if (ref) {
    rows.push([
      verdict(ref.ratio <= 3),
      `reference check, ${ref.ids} ids of each kind vs the same lookups as plain SQL`,
      `${s(ref.rpcMs)} vs ${s(ref.plainSqlMs)}`,
      `ratio ${ref.ratio.toFixed(2)} (target <= 3)`,
    ]);
  }
  if (supa) {
    rows.push([
      verdict(supa.slowestCallMs < 8000),
      `same commit path through supabase-js + PostgREST double (${supa.rows} rows)`,
      db ? `${s(supa.totalMs)} vs direct ${s(db.commitMs)}` : s(supa.totalMs),
      `slowest call ${supa.slowestCall} ${s(supa.slowestCallMs)} (limit 8 s)`,
    ]);
  }
  const failed = r['failed-1m'];
  if (failed) {
    rows.push(
      [
        verdict(failed.getMs < 2000 && failed.deepPageMs < 2000),
        `a ${failed.rows}-row failed batch through supabase-js: batch detail, page 90% deep`,
        `${s(failed.getMs)} (${Math.round(failed.getBytes / 1024)} KB), ${s(failed.deepPageMs)}`,
        'target < 2 s each (refused by its commit in ' + s(failed.commitMs) + ')',
      ],
      [
        verdict(failed.recheckMs < 2000),
        `  its re-check by cause (today's tables asked about its distinct values)`,
        `${s(failed.recheckMs)} (${Math.round(failed.recheckBytes / 1024)} KB)`,
        'target < 2 s; its own API limit 60 s',
      ],
    );
  }
  if (supa1m) {
    rows.push(
      [
        verdict(supa1m.slowestOtherCallMs < ROLE_LIMIT_MS),
        `${supa1m.rows} rows through supabase-js + PostgREST double: every call but the commit`,
        `${s(supa1m.totalMs)} in all`,
        `slowest ${supa1m.slowestOtherCall} ${s(supa1m.slowestOtherCallMs)} (role limit 8 s)`,
      ],
      [
        verdict(supa1m.commitMs < supa1m.commitLimitMs / 2),
        `  the commit call (${supa1m.purchases} purchases, one statement)`,
        s(supa1m.commitMs),
        `target < half its own limit of ${s(supa1m.commitLimitMs)}`,
      ],
    );
  }
  if (db) {
    const ratio = db.endToEndRatio;
    const rounds = db.rounds.map((round) => (round.endToEndMs / round.copyMs).toFixed(2));
    const phasesOf = (rounds: typeof db.rounds): string =>
      rounds
        .map(
          (round) =>
            `${s(round.parseAndCheckMs)} + ${s(round.stagingMs)} + ${s(round.commitMs)} vs ${s(round.copyMs)}`,
        )
        .join('; ');
    const usual = db.usualRounds.map((round) => (round.endToEndMs / round.copyMs).toFixed(2));
    rows.push(
      [
        verdict(ratio <= 1.5 && db.endToEndMs < 4000),
        `end to end ${db.rows} rows (file → committed) vs psql COPY of its purchases and items`,
        `${s(db.endToEndMs)} vs ${s(db.endToEndCopyMs)}`,
        `ratio ${ratio.toFixed(2)}, median of ${rounds.length} rounds, each against a COPY just before it: ${rounds.join(', ')} (#14: <= 1.5 and < 4 s; the old system: ~10 min)`,
      ],
      [
        'INFO',
        '  each round: parse + check (chunks staged meanwhile), the rest of staging, commit vs COPY',
        '',
        phasesOf(db.rounds),
      ],
      [
        'INFO',
        '  the same file the usual way (read whole, then staged), alternated with the rounds above',
        `ratio ${db.usualRatio.toFixed(2)}`,
        `${usual.join(', ')}: ${phasesOf(db.usualRounds)}`,
      ],
    );
  }
  if (p1m) {
    const peak = Math.max(p1m.bundled.maxRssBytes, p1m.hostMaxRssBytes);
    rows.push(
      [
        verdict(p1m.bundled.endToEndMs < 10_000),
        `parse+validate ${p1m.rows} rows (${mb(p1m.bytes)})`,
        s(p1m.bundled.endToEndMs),
        'target < 10 s',
      ],
      [verdict(peak < 2 * 1024 ** 3), `peak RSS at ${p1m.rows} rows`, mb(peak), 'target < 2 GB'],
    );
  }
  const scale = r['scale-1m'];
  if (scale) rows.push(...scaleRows(scale));
  const parallel = r['parallel-5x100k'];
  if (parallel) rows.push(...parallelRows(parallel));
  const cli = r['cli-100k'];
  if (cli) rows.push(...cliRows(cli));
  for (const xlsx of [r['xlsx-100k'], r['xlsx-1m']]) if (xlsx) rows.push(...xlsxRows(xlsx));
  rows.push(...keysRows(r['keys-30k'], r['keys-1m']));
  return rows;
}

function cliRows(cli: CliBenchResult): Row[] {
  const { startup } = cli;
  return [
    [
      verdict(cli.addedMs < 300),
      `purchase-import check ${cli.rows} rows, spawn → exit vs the same check in process`,
      `${s(cli.cliMs)} vs ${s(cli.inProcessMs)}`,
      `adds ${s(cli.addedMs)} (target < 0.3 s); in process on a warm worker ${s(cli.inProcessWarmWorkerMs)}`,
    ],
    [
      'INFO',
      `  CPU time of that check (all threads), CLI process vs in process`,
      `${s(cli.cliCpuMs)} vs ${s(cli.inProcessCpuMs)}`,
      `adds ${s(cli.cliCpuMs - cli.inProcessCpuMs)} of CPU (wall time above grows with the load)`,
    ],
    [
      'INFO',
      `  start-up: purchase-import --help, precompiled vs the sources through tsx (before)`,
      `${s(startup.binBundleMs)} vs ${s(startup.binSourceMs)}`,
      `node alone ${s(startup.nodeMs)}; bundle without the bin ${s(startup.bundleDirectMs)}; freshness check ${cli.freshnessCheckMs.toFixed(2)} ms (${cli.freshnessFiles} files); load ${cli.loadAverage.map((l) => l.toFixed(1)).join(' ')}`,
    ],
    ...cliImportRows(cli.importRun),
  ];
}

function cliImportRows(run: CliBenchResult['importRun']): Row[] {
  if (!run) return [];
  const phases = Object.entries(run.phaseAt)
    .map(([phase, at]) => `${phase} ${s(at)}`)
    .join(', ');
  return [
    [
      verdict(run.addedMs < 300),
      `purchase-import import ${run.rows} rows, spawn → exit vs the same import in process`,
      `${s(run.cliMs)} vs ${s(run.inProcessMs)}`,
      `adds ${s(run.addedMs)} (median of the rounds' differences; target < 0.3 s); first progress ${s(run.firstProgressMs)} after spawn; phases at ${phases}`,
    ],
    [
      verdict(run.cliMs <= 1.5 * run.copyMs && run.cliMs < 4000),
      `  that CLI import vs psql COPY of the same purchases and items`,
      `${s(run.cliMs)} vs ${s(run.copyMs)}`,
      `ratio ${(run.cliMs / run.copyMs).toFixed(2)} (#14: <= 1.5 and < 4 s)`,
    ],
  ];
}

function scaleRows(scale: ScaleBenchResult): Row[] {
  const { big, baseline, cli, cliBaseline, copy } = scale;
  const p = big.run.phases;
  const small = baseline.run.phases;
  const bigRatio = p.totalMs / copy.big.ms;
  const smallRatio = small.totalMs / copy.baseline.ms;
  const commitRatio = p.commitMs / copy.big.ms;
  const rss = 1.2 * 1024 ** 3;
  const rows: Row[] = [
    [
      'INFO',
      `psql COPY of the ${scale.rows}-row import's purchases and items (the floor)`,
      s(copy.big.ms),
      `${copy.big.purchases} purchases, ${copy.big.items} items; at ${baseline.run.rows} rows ${s(copy.baseline.ms)}`,
    ],
    [
      verdict(bigRatio <= 2 && p.totalMs < 35_000),
      `end to end ${scale.rows} rows (${mb(scale.bytes)}, ${big.run.purchases} purchases) vs COPY`,
      `${s(p.totalMs)} vs ${s(copy.big.ms)}`,
      `ratio ${bigRatio.toFixed(2)} (#14: <= 2 and < 35 s)`,
    ],
    ['INFO', `  where the time goes at ${scale.rows} rows`, describePhases(p), ''],
    [
      verdict(commitRatio <= 1.3),
      `  commit call at ${scale.rows} rows (one statement) vs COPY of the same rows`,
      `${s(p.commitMs)} vs ${s(copy.big.ms)}`,
      `ratio ${commitRatio.toFixed(2)} (#14: <= 1.3)`,
    ],
    [
      verdict(scale.perRowRatio <= 1.5),
      `  per row against ${baseline.run.rows} rows in the same run`,
      `${s(p.totalMs)} vs ${s(small.totalMs)}`,
      `per-row ratio ${scale.perRowRatio.toFixed(2)} (linear 1.0; target <= 1.5)`,
    ],
    [
      verdict(smallRatio <= 1.5 && small.totalMs < 4000),
      `end to end ${baseline.run.rows} rows in process (importFile) vs COPY`,
      `${s(small.totalMs)} vs ${s(copy.baseline.ms)}`,
      `ratio ${smallRatio.toFixed(2)} (#14: <= 1.5 and < 4 s)`,
    ],
    [
      verdict(big.maxRssBytes < rss),
      `  peak RSS of the importing process at ${scale.rows} rows (worker thread included)`,
      mb(big.maxRssBytes),
      `#14: < 1.2 GB (at ${baseline.run.rows} rows: ${mb(baseline.maxRssBytes)})`,
    ],
    [
      'INFO',
      `  peak PostgreSQL footprint (all server processes)`,
      mb(scale.server.peakFootprintBytes),
      `largest single process ${mb(scale.server.peakProcessHwmBytes)}; shared_buffers 512 MB`,
    ],
  ];
  if (cliBaseline) {
    const added = cliBaseline.wallMs - small.totalMs;
    rows.push([
      verdict(
        cliBaseline.exact &&
          cliBaseline.wallMs <= 1.5 * copy.baseline.ms &&
          cliBaseline.wallMs < 4000 &&
          added < 300,
      ),
      `  the same ${baseline.run.rows} rows through the CLI (spawn → exit) vs COPY`,
      `${s(cliBaseline.wallMs)} vs ${s(copy.baseline.ms)}`,
      `ratio ${(cliBaseline.wallMs / copy.baseline.ms).toFixed(2)}; adds ${s(added)} to in process (#14: <= 1.5, < 4 s, adds < 0.3 s)`,
    ]);
  }
  if (cli) {
    rows.push([
      verdict(cli.exact && cli.maxRssBytes < rss),
      `  same file through the CLI (spawn → exit, --json)`,
      `${s(cli.wallMs)}, peak RSS ${mb(cli.maxRssBytes)}`,
      `phases at ${Object.entries(cli.phaseAt)
        .map(([phase, at]) => `${phase} ${s(at)}`)
        .join(', ')}`,
    ]);
  }
  rows.push([
    verdict(big.exact && baseline.exact),
    `  every ${scale.rows}-row batch landed exactly`,
    `${big.landed.purchases} purchases, ${big.landed.items} items`,
    'counts and amount = the generator',
  ]);
  return rows;
}

function parallelRows(par: ParallelBenchResult): Row[] {
  const slowest = Math.max(...par.parallel.map((p) => p.run.phases.totalMs));
  return [
    [
      verdict(par.wallRatio <= par.count),
      `${par.count} x ${par.rows} rows in parallel (${par.count} merchants, ${par.count} processes)`,
      `${s(par.wallMs)} vs one alone ${s(par.alone.wallMs)}`,
      `ratio ${par.wallRatio.toFixed(2)} (${par.count}.0 = one after another)`,
    ],
    [
      'INFO',
      `  slowest of the ${par.count} imports vs alone (importFile total)`,
      `${s(slowest)} vs ${s(par.alone.run.phases.totalMs)}`,
      `ratio ${par.slowestRatio.toFixed(2)}; server peak ${mb(par.server.peakFootprintBytes)}`,
    ],
    [
      verdict(par.allExact),
      `  every batch completed with exact counts`,
      `${par.parallel.filter((p) => p.exact).length + (par.alone.exact ? 1 : 0)} of ${par.count + 1}`,
      'counts and amount = the generator',
    ],
  ];
}

function selectedParts(args: readonly string[]): Part[] {
  if (args.length === 0) return [...PARTS];
  const unknown = args.filter((arg) => !(PARTS as readonly string[]).includes(arg));
  if (unknown.length > 0) {
    console.error(`unknown bench part ${unknown.join(', ')}; parts: ${PARTS.join(', ')}`);
    process.exit(2);
  }
  return PARTS.filter((part) => args.includes(part));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--part') {
    const [part] = selectedParts(args.slice(1, 2));
    if (!part) throw new Error('--part needs a part name');
    const result = await runPart(part);
    process.stdout.write(`${MARKER}${JSON.stringify(result)}\n`);
    return;
  }
  const parts = selectedParts(args);
  console.log(
    `Purchase import benchmark (2 cores here; medians where repeated): ${parts.join(', ')}\n`,
  );
  const results: Results = {};
  for (const part of parts) Object.assign(results, { [part]: inChild(part) });

  const rows = rowsOf(results);
  const width = Math.max(...rows.map((r) => r[1].length));
  const measuredWidth = Math.min(40, Math.max(18, ...rows.map((r) => r[2].length)));
  for (const [ok, what, measured, target] of rows) {
    console.log(
      `${ok}  ${what.padEnd(width)}  ${measured.padEnd(measuredWidth)}  ${target}`.trimEnd(),
    );
  }
  if (results['db-100k']) {
    console.log(
      `\nend-to-end speed-up over the ~10 minutes of the system this replaces: ${(600_000 / results['db-100k'].endToEndMs).toFixed(0)}x`,
    );
  }
  const scale = results['scale-1m'];
  if (scale) {
    console.log(
      `${scale.rows} rows end to end took ${s(scale.big.run.phases.totalMs)}; the old system took ~10 min for 100k rows`,
    );
  }
}

await main();
