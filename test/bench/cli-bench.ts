import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { z } from 'zod';
import { checkBundle, FROM_SOURCE_ENV, MANIFEST_PATH } from '../../bin/cli-bundle.mjs';
import { cliBuildOptions } from '../../build/build-cli.mjs';
import { migrate } from '../../electron/core/db/migrate';
import { copyBatchBaseline } from './copy-baseline';
import { writePurchasesCsv } from '../fixtures/generate-purchases';
import { startTestPostgres } from '../support/postgres-server';
import { seedMerchant } from '../support/seed';

/**
 * The CLI's start-up cost (issue #14): what `purchase-import` adds to the same work done inside
 * an already running process.
 *
 * - check-100k: `purchase-import check FILE --json` on a generated 100k-row file, spawn to exit
 *   through bin/purchase-import.mjs (the precompiled bundle), against runCli(['check', …]) in a
 *   long-lived process running the same bundled code (cli-bench-probe.ts, bundled like the CLI).
 *   Interleaved, median of each; the difference is what the command adds.
 * - start-up: `purchase-import --help` spawn to exit, before (the sources through tsx, forced
 *   with PURCHASE_IMPORT_FROM_SOURCE=1) and after (the bundle), next to the bundle run without
 *   the bin (`node out/cli/main.js --help`) and a bare `node -e 0`; and the freshness check the
 *   bin makes on every start, timed in this process.
 * - import (with importRows): the import of a generated file through the CLI against the same
 *   through runCli in the probe's process, three rounds, and psql COPY of the rows the CLI landed;
 *   the CLI's progress lines say how long after its spawn it began reading.
 */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(repoRoot, 'bin/purchase-import.mjs');
const BUNDLE_MAIN = join(repoRoot, 'out/cli/main.js');
const PROBE_MARKER = 'PROBE_RUN ';

const checkOutputSchema = z.object({ ok: z.boolean(), rows: z.number(), purchases: z.number() });
const probeCheckSchema = z.object({
  ms: z.number(),
  cpuMs: z.number(),
  code: z.number(),
  stdout: z.string(),
  /** When each progress phase began, ms after runCli was called. */
  phaseAt: z.record(z.string(), z.number()).optional(),
});
const cpuUsageSchema = z.object({ user: z.number(), system: z.number() });
/** Loaded into the CLI's process with --import: writes its CPU time (all threads) at exit. */
const CPU_REPORT = `import { writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(process.env.CLI_BENCH_CPU_FILE, JSON.stringify(process.cpuUsage())));
`;
const probeRunSchema = z.object({ fresh: probeCheckSchema, warm: probeCheckSchema });

export interface StartupFigures {
  /** `node -e 0`: the floor any command pays. */
  nodeMs: number;
  /** `node out/cli/main.js --help`: the bundle without the bin's freshness check. */
  bundleDirectMs: number;
  /** `node bin/purchase-import.mjs --help` with a fresh bundle (after). */
  binBundleMs: number;
  /** The same with PURCHASE_IMPORT_FROM_SOURCE=1: the sources through tsx (before). */
  binSourceMs: number;
}

export interface CliImportFigures {
  rows: number;
  /** `purchase-import import FILE --json`, spawn to exit, median. */
  cliMs: number;
  /** The same import through runCli in the probe's running process, median. */
  inProcessMs: number;
  /** Median of each round's CLI minus in-process time: the database's share of an import varies
   *  by tenths of a second from run to run, and a round's two imports see the same moment. */
  addedMs: number;
  /** When the CLI's first progress line ("reading…") reached its stderr, ms after spawn. */
  firstProgressMs: number;
  /** When each phase's line reached stderr, ms after spawn (the CLI run of median time). */
  phaseAt: Record<string, number>;
  /** psql COPY of the purchases and items that CLI run imported (copy-baseline.ts). */
  copyMs: number;
}

export interface CliBenchResult {
  rows: number;
  purchases: number;
  repetitions: number;
  /** runCli check in a running process (bundled code, fresh worker each run), median. */
  inProcessMs: number;
  /** The same on the warm worker the previous check left idle, median. */
  inProcessWarmWorkerMs: number;
  /** The same check through the bin, spawn to exit, median. */
  cliMs: number;
  /** cliMs - inProcessMs. */
  addedMs: number;
  /** CPU time (user + system, every thread) of the in-process check and of the CLI process,
   *  medians: unlike wall time, hardly moved by the other jobs on the machine. */
  inProcessCpuMs: number;
  cliCpuMs: number;
  startup: StartupFigures;
  /** One checkBundle() call (read the manifest, stat every file), median, in ms. */
  freshnessCheckMs: number;
  /** Files the freshness check stats. */
  freshnessFiles: number;
  /** `node build/build-cli.mjs`, spawn to exit. */
  buildMs: number;
  /** The import of a 100k-row file through the CLI, in process and by COPY (one per merchant). */
  importRun: CliImportFigures | null;
  /** os.loadavg() at the end: on the shared 2-core machine every figure scales with it. */
  loadAverage: number[];
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

function timedRun(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  onStderrLine?: (line: string, atMs: number) => void,
): Promise<{ ms: number; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...args], {
      cwd: repoRoot,
      env: { ...process.env, PURCHASE_IMPORT_DB: '', [FROM_SOURCE_ENV]: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    let partial = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-4000);
      if (!onStderrLine) return;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onStderrLine(line, performance.now() - started);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - started, code, stdout, stderr }));
  });
}

function buildBundle(): number {
  const started = performance.now();
  const built = spawnSync(process.execPath, [join(repoRoot, 'build/build-cli.mjs')], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`build/build-cli.mjs failed: ${built.stderr}`);
  const state = checkBundle(repoRoot);
  if (!state.fresh) throw new Error(`the CLI bundle is not usable after building: ${state.reason}`);
  return performance.now() - started;
}

/** The probe bundled like the CLI, into a folder inside the repository (node_modules resolve). */
async function buildProbe(dir: string): Promise<string> {
  const { build } = await import('esbuild');
  const [main, worker] = cliBuildOptions(repoRoot, dir);
  if (!main || !worker) throw new Error('build-cli.mjs gave no options for its two bundles');
  await build({
    ...main,
    entryPoints: { probe: join(repoRoot, 'test/bench/cli-bench-probe.ts') },
    logLevel: 'warning',
  });
  await build({ ...worker, logLevel: 'warning' });
  return join(dir, 'probe.js');
}

interface Probe {
  run(): Promise<z.infer<typeof probeRunSchema>>;
  /** Any command once, in the probe's process, on a fresh worker. */
  runOnce(args: readonly string[]): Promise<z.infer<typeof probeCheckSchema>>;
  close(): Promise<void>;
}

async function startProbe(script: string, args: readonly string[]): Promise<Probe> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [script, ...args], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr
    .setEncoding('utf8')
    .on('data', (text: string) => (stderr = (stderr + text).slice(-4000)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`the in-process probe exited: ${stderr}`);
    return line.value;
  };
  if ((await next()) !== 'PROBE_READY') throw new Error(`the probe did not start: ${stderr}`);
  const answer = async (): Promise<z.infer<typeof probeRunSchema>> => {
    for (;;) {
      const line = await next();
      if (line.startsWith(PROBE_MARKER)) {
        return probeRunSchema.parse(JSON.parse(line.slice(PROBE_MARKER.length)));
      }
    }
  };
  return {
    async run() {
      child.stdin.write('go\n');
      return answer();
    },
    async runOnce(args) {
      child.stdin.write(`run ${JSON.stringify(args)}\n`);
      return (await answer()).fresh;
    },
    async close() {
      child.stdin.end('stop\n');
      await new Promise((resolve) => child.once('close', resolve));
    },
  };
}

function parseCheck(stdout: string, label: string): z.infer<typeof checkOutputSchema> {
  const output = checkOutputSchema.parse(JSON.parse(stdout.trim().split('\n').at(-1) ?? ''));
  if (!output.ok) throw new Error(`${label}: the check refused the generated file`);
  return output;
}

async function measureStartup(repetitions: number): Promise<StartupFigures> {
  const runs: Record<keyof StartupFigures, number[]> = {
    nodeMs: [],
    bundleDirectMs: [],
    binBundleMs: [],
    binSourceMs: [],
  };
  const expectHelp = (run: { code: number | null; stdout: string }, what: string): void => {
    if (run.code !== 0 || !run.stdout.includes('Usage: purchase-import')) {
      throw new Error(`${what} --help did not print the usage (exit ${run.code})`);
    }
  };
  for (let i = 0; i < repetitions; i++) {
    if (!checkBundle(repoRoot).fresh) buildBundle();
    // Interleaved, so each variant sees the same machine load.
    const node = await timedRun(['-e', '0']);
    const direct = await timedRun([BUNDLE_MAIN, '--help']);
    expectHelp(direct, 'out/cli/main.js');
    const bundled = await timedRun([BIN, '--help']);
    expectHelp(bundled, 'the bin (bundle)');
    const source = await timedRun([BIN, '--help'], { [FROM_SOURCE_ENV]: '1' });
    expectHelp(source, 'the bin (sources through tsx)');
    if (!checkBundle(repoRoot).fresh) {
      i--; // a source changed meanwhile: the bin may have run the sources; measure again
      continue;
    }
    runs.nodeMs.push(node.ms);
    runs.bundleDirectMs.push(direct.ms);
    runs.binBundleMs.push(bundled.ms);
    runs.binSourceMs.push(source.ms);
  }
  return {
    nodeMs: median(runs.nodeMs),
    bundleDirectMs: median(runs.bundleDirectMs),
    binBundleMs: median(runs.binBundleMs),
    binSourceMs: median(runs.binSourceMs),
  };
}

function measureFreshnessCheck(): { ms: number; files: number } {
  if (!checkBundle(repoRoot).fresh) buildBundle();
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const started = performance.now();
    checkBundle(repoRoot); // a stale answer costs no more than a fresh one: it stops early
    times.push(performance.now() - started);
  }
  const manifest = z
    .object({ files: z.array(z.unknown()) })
    .parse(JSON.parse(readFileSync(join(repoRoot, MANIFEST_PATH), 'utf8')));
  return { ms: median(times), files: manifest.files.length };
}

/** Each import's staging and commit vary by tenths of a second run to run: medians of three. */
const IMPORT_ROUNDS = 3;
const importOutputSchema = z.object({
  ok: z.boolean(),
  batchId: z.string().nullable(),
  status: z.string().nullable(),
});

/**
 * A 100k-row import, IMPORT_ROUNDS rounds of: in the probe's process and through the CLI (each
 * into a merchant of its own, interleaved, which goes first alternating), and psql COPY of what
 * the CLI landed. Both sides' progress lines say when each phase began ("reading" is printed
 * once the command has connected and takes the parse the worker began at start), the CLI's
 * counted from its spawn.
 */
async function measureImport(
  url: string,
  pool: pg.Pool,
  dir: string,
  probe: Probe,
  rows: number,
  log: (line: string) => void,
): Promise<CliImportFigures> {
  const prepare = async (name: string): Promise<string[]> => {
    const merchant = await seedMerchant(pool, { users: 5_000, skus: 500 });
    const file = join(dir, `${name}.csv`);
    await writePurchasesCsv(file, {
      rows,
      userIds: merchant.userIds,
      skuIds: merchant.skuIds,
      seed: 11,
    });
    return ['import', file, '--merchant', merchant.merchantId, '--db', url, '--json'];
  };
  const expectImported = (stdout: string, label: string): string => {
    const output = importOutputSchema.parse(JSON.parse(stdout.trim().split('\n').at(-1) ?? ''));
    if (!output.ok || output.status !== 'completed' || !output.batchId) {
      throw new Error(`${label}: the import did not complete: ${stdout.slice(0, 500)}`);
    }
    return output.batchId;
  };
  const inProcess: number[] = [];
  const cliRuns: { ms: number; batchId: string; phaseAt: Record<string, number> }[] = [];
  const phases = (at: Record<string, number>): string =>
    Object.entries(at)
      .map(([phase, ms]) => `${phase} ${Math.round(ms)}`)
      .join(', ');
  for (let round = 0; round < IMPORT_ROUNDS; round++) {
    const inProcessRun = async (): Promise<z.infer<typeof probeCheckSchema>> => {
      const here = await probe.runOnce(await prepare(`import-here-${round}`));
      expectImported(here.stdout, 'in process');
      return here;
    };
    const cliRun = async (): Promise<(typeof cliRuns)[number]> => {
      const args = await prepare(`import-cli-${round}`);
      if (!checkBundle(repoRoot).fresh) buildBundle();
      const phaseAt: Record<string, number> = {};
      const there = await timedRun([BIN, ...args], {}, (line, at) => {
        // Off a terminal the CLI prints one "<phase>… (<time> elapsed)" line per phase.
        const phase = /^(\w+)…/.exec(line.trim())?.[1];
        if (phase && phaseAt[phase] === undefined) phaseAt[phase] = at;
      });
      if (there.code !== 0) throw new Error(`the CLI import exited ${there.code}: ${there.stderr}`);
      return { ms: there.ms, batchId: expectImported(there.stdout, 'CLI'), phaseAt };
    };
    // Each import adds 100k rows to the tables the next one checks and inserts into: the order
    // alternates, so neither side is always the one on the bigger tables.
    let here: z.infer<typeof probeCheckSchema>;
    let there: (typeof cliRuns)[number];
    if (round % 2 === 0) {
      here = await inProcessRun();
      there = await cliRun();
    } else {
      there = await cliRun();
      here = await inProcessRun();
    }
    inProcess.push(here.ms);
    cliRuns.push(there);
    log(
      `cli: import ${rows} rows: in process ${Math.round(here.ms)} ms (phases at ${phases(here.phaseAt ?? {})}), ` +
        `CLI ${Math.round(there.ms)} ms (phases at ${phases(there.phaseAt)}, from its spawn)`,
    );
  }
  const cliMs = median(cliRuns.map((run) => run.ms));
  const typical = [...cliRuns].sort((a, b) => a.ms - b.ms)[Math.floor(cliRuns.length / 2)];
  if (!typical) throw new Error('no CLI import ran');
  const copy = await copyBatchBaseline(url, pool, dir, typical.batchId);
  return {
    rows,
    cliMs,
    inProcessMs: median(inProcess),
    addedMs: median(cliRuns.map((run, i) => run.ms - (inProcess[i] ?? Number.NaN))),
    firstProgressMs: median(cliRuns.map((run) => run.phaseAt['reading'] ?? Number.NaN)),
    phaseAt: typical.phaseAt,
    copyMs: copy.ms,
  };
}

export async function runCliBench(
  rows = 100_000,
  options: { repetitions?: number; importRows?: number; log?: (line: string) => void } = {},
): Promise<CliBenchResult> {
  const repetitions = options.repetitions ?? 5;
  const log = options.log ?? ((line: string) => console.log(line));
  const buildMs = buildBundle();
  log(`cli: bundle built in ${(buildMs / 1000).toFixed(2)} s`);

  const server = await startTestPostgres();
  const scratch = join(repoRoot, '.tmp');
  await mkdir(scratch, { recursive: true });
  const dir = await mkdtemp(join(scratch, 'cli-bench-'));
  const pool = new pg.Pool({ connectionString: server.url, max: 2 });
  pool.on('error', () => undefined);
  let probe: Probe | null = null;
  try {
    await migrate(server.url, { withReferenceSchema: true });
    const merchant = await seedMerchant(pool, { users: 5_000, skus: 500 });
    const file = join(dir, `cli-${rows}.csv`);
    const written = await writePurchasesCsv(file, {
      rows,
      userIds: merchant.userIds,
      skuIds: merchant.skuIds,
      seed: 14,
    });
    const args = ['check', file, '--merchant', merchant.merchantId, '--db', server.url, '--json'];
    const cpuReport = join(dir, 'cpu-report.mjs');
    const cpuFile = join(dir, 'cpu.json');
    await writeFile(cpuReport, CPU_REPORT);
    probe = await startProbe(await buildProbe(dir), args);

    const inProcess: number[] = [];
    const inProcessWarm: number[] = [];
    const cli: number[] = [];
    const inProcessCpu: number[] = [];
    const cliCpu: number[] = [];
    for (let i = 0; i < repetitions; i++) {
      const here = await probe.run();
      const hereOutput = parseCheck(here.fresh.stdout, 'in process');
      parseCheck(here.warm.stdout, 'in process, warm worker');
      // Other work in the tree may touch a source meanwhile: a stale bundle would send the bin to
      // tsx, so rebuild first and drop a run during which the bundle went stale.
      if (!checkBundle(repoRoot).fresh) buildBundle();
      // The CPU report adds one tiny module to the CLI's start-up: counted against the CLI.
      const there = await timedRun(['--import', pathToFileURL(cpuReport).href, BIN, ...args], {
        CLI_BENCH_CPU_FILE: cpuFile,
      });
      if (there.code !== 0) throw new Error(`the CLI check exited ${there.code}: ${there.stderr}`);
      if (!checkBundle(repoRoot).fresh) {
        log('cli: a source changed during the CLI run; measuring it again');
        i--;
        continue;
      }
      const thereOutput = parseCheck(there.stdout, 'CLI');
      if (thereOutput.rows !== written.rows || hereOutput.rows !== written.rows) {
        throw new Error(
          `row counts differ: CLI ${thereOutput.rows}, in process ${hereOutput.rows}`,
        );
      }
      inProcess.push(here.fresh.ms);
      inProcessWarm.push(here.warm.ms);
      cli.push(there.ms);
      inProcessCpu.push(here.fresh.cpuMs);
      const cpu = cpuUsageSchema.parse(JSON.parse(await readFile(cpuFile, 'utf8')));
      cliCpu.push((cpu.user + cpu.system) / 1000);
      log(
        `cli: check ${rows} rows: in process ${Math.round(here.fresh.ms)} ms (warm worker ${Math.round(here.warm.ms)} ms), CLI ${Math.round(there.ms)} ms`,
      );
    }
    const importRun = options.importRows
      ? await measureImport(server.url, pool, dir, probe, options.importRows, log)
      : null;
    const startup = await measureStartup(repetitions + 2);
    const freshness = measureFreshnessCheck();
    const inProcessMs = median(inProcess);
    const cliMs = median(cli);
    return {
      rows: written.rows,
      purchases: written.purchases,
      repetitions,
      inProcessMs,
      inProcessWarmWorkerMs: median(inProcessWarm),
      cliMs,
      addedMs: cliMs - inProcessMs,
      inProcessCpuMs: median(inProcessCpu),
      cliCpuMs: median(cliCpu),
      startup,
      freshnessCheckMs: freshness.ms,
      freshnessFiles: freshness.files,
      buildMs,
      importRun,
      loadAverage: loadavg(),
    };
  } finally {
    await probe?.close();
    await pool.end();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
