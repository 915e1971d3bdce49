import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { z } from 'zod';
import { createImportRpc } from '../../shared/db/import-rpc';
import type { RpcArgs, RpcFunctionName } from '../../shared/db/rpc-contract';
import type { RpcTransport } from '../../shared/db/rpc-transport';
import { createPgTransport } from '../../electron/core/db/pg-transport';
import { migrate } from '../../electron/core/db/migrate';
import { importFile, type ImportFileInput } from '../../electron/core/use-cases';
import { disposeParseWorkers } from '../../electron/core/parse/parse-file';
import { generateRecords, writePurchasesCsv } from '../fixtures/generate-purchases';
import { startTestPostgres } from '../support/postgres-server';
import { seedMerchant, type SeededMerchant } from '../support/seed';
import { copyBatchBaseline, type CopyBaseline } from './copy-baseline';

/**
 * Scale half of `npm run bench` (issue #5), on a PostgreSQL of its own:
 *
 * - scale-1m: a 1M-row file (~127 MB) imported end to end, against a 100k-row import measured in
 *   the same run (linear scaling gives a per-row ratio of 1.0). Each import runs in a child
 *   process of its own (importFile over its own pg pool, exactly what the CLI calls), so its peak
 *   RSS is its own; the parse worker is a thread of that process, so the process peak includes
 *   it. The same 1M file is then imported once more through the real CLI
 *   (`node bin/purchase-import.mjs import FILE --json`) into a second merchant.
 * - parallel-5x100k: one 100k import alone, then five 100k imports (five merchants, five
 *   processes) at once; every batch must land with exactly the generator's counts and amount.
 *
 * Server memory: /proc is sampled every 250 ms for the postmaster and all its children. Summing
 * VmRSS would count shared_buffers once per backend, so the footprint is the private memory
 * (RssAnon) of every server process plus the largest RssShmem (shared buffers, counted once) and
 * the largest RssFile (the mapped binary and libraries, counted once).
 */

const thisFile = fileURLToPath(import.meta.url);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

// ---------------------------------------------------------------------------------------------
// One import, timed by phase

export interface PhaseTimings {
  /** Start of importFile until the reference check is sent: worker start, read, decode, hash,
   *  parse, validate, group, report back to the host (staging while reading: chunks go out
   *  meanwhile). */
  parseMs: number;
  /** Reference check sent until begin is sent (or, when begin came first, until the check was
   *  answered): the check call, applying its verdict, and building the staged rows and chunks. */
  referenceMs: number;
  /** The import_check_references call alone. */
  referenceCallMs: number;
  /** begin sent until commit sent: begin plus every chunk (two in flight). */
  stagingMs: number;
  /** The part of stagingMs after the file was read and checked: what the commit waited for. */
  stagingAfterCheckMs: number;
  /** Chunks sent before the reference check (staged while the file was read). */
  chunksWhileReading: number;
  stageCalls: number;
  slowestStageMs: number;
  /** commit sent until importFile returned (the commit call, reconciling if it had to). */
  commitMs: number;
  totalMs: number;
}

export interface TimedImport {
  phases: PhaseTimings;
  rows: number;
  purchases: number;
  items: number;
  batchId: string;
  status: string;
  importedPurchases: number;
  importedItems: number;
  errorMessage: string | null;
}

interface CallEvent {
  fn: RpcFunctionName;
  start: number;
  end: number;
}

function recordingTransport(inner: RpcTransport): { transport: RpcTransport; events: CallEvent[] } {
  const events: CallEvent[] = [];
  return {
    events,
    transport: {
      label: inner.label,
      close: () => inner.close(),
      async call<F extends RpcFunctionName>(fn: F, args: RpcArgs[F]) {
        const start = performance.now();
        try {
          return await inner.call(fn, args);
        } finally {
          events.push({ fn, start, end: performance.now() });
        }
      },
    },
  };
}

/** importFile through `transport`, with the boundaries of its phases read off the RPC calls. */
export async function timedImportFile(
  transport: RpcTransport,
  input: ImportFileInput,
): Promise<TimedImport> {
  const recorded = recordingTransport(transport);
  const rpc = createImportRpc(recorded.transport);
  const started = performance.now();
  const outcome = await importFile(rpc, input);
  const ended = performance.now();
  if (outcome.kind !== 'batch') {
    throw new Error(
      `${input.path}: expected a batch, got ${outcome.kind} (${JSON.stringify(outcome.checked.report.errors.slice(0, 3))})`,
    );
  }
  const first = (fn: RpcFunctionName): CallEvent => {
    const event = recorded.events.find((e) => e.fn === fn);
    if (!event) throw new Error(`timedImportFile: no ${fn} call was made`);
    return event;
  };
  const reference = first('import_check_references');
  const begin = first('import_begin_batch');
  const commit = first('import_commit_batch');
  const stages = recorded.events.filter((e) => e.fn === 'import_stage_chunk');
  const { summary } = outcome.checked.localReport;
  return {
    phases: {
      parseMs: reference.start - started,
      referenceMs: Math.max(begin.start, reference.end) - reference.start,
      referenceCallMs: reference.end - reference.start,
      stagingMs: commit.start - begin.start,
      stagingAfterCheckMs: commit.start - Math.max(begin.start, reference.end),
      chunksWhileReading: stages.filter((e) => e.start < reference.start).length,
      stageCalls: stages.length,
      slowestStageMs: Math.max(0, ...stages.map((e) => e.end - e.start)),
      commitMs: ended - commit.start,
      totalMs: ended - started,
    },
    rows: summary.rows,
    purchases: summary.purchases,
    items: summary.items,
    batchId: outcome.batch.id,
    status: outcome.batch.status,
    importedPurchases: outcome.batch.importedPurchases,
    importedItems: outcome.batch.importedItems,
    errorMessage: outcome.batch.errorMessage,
  };
}

// ---------------------------------------------------------------------------------------------
// What a batch left in the CRM tables, against what the generator wrote

export interface Expected {
  rows: number;
  purchases: number;
  amountCents: number;
}

/** The generator's own counts and amount for `options`, without writing or parsing a file. */
export function expectedOf(options: Parameters<typeof generateRecords>[0]): Expected {
  let rows = 0;
  let purchases = 0;
  let amountCents = 0;
  for (const { purchase, records } of generateRecords(options)) {
    purchases++;
    rows += records.length;
    amountCents += purchase.totalAmountCents;
  }
  return { rows, purchases, amountCents };
}

export interface Landed {
  purchases: number;
  items: number;
  amountCents: number;
  /** Every purchase of the merchant, whatever its batch: catches rows landing elsewhere. */
  merchantPurchases: number;
}

export async function landedOf(
  pool: pg.Pool,
  batchId: string,
  merchantId: string,
): Promise<Landed> {
  const result = await pool.query<Landed>(
    `select (select count(*)::int from public.purchases where import_batch_id = $1) as purchases,
            (select count(*)::int from public.purchase_items where import_batch_id = $1) as items,
            (select coalesce(round(sum(total_amount) * 100), 0)::bigint::float8
               from public.purchases where import_batch_id = $1) as "amountCents",
            (select count(*)::int from public.purchases where merchant_id = $2)
              as "merchantPurchases"`,
    [batchId, merchantId],
  );
  const row = result.rows[0];
  if (!row) throw new Error('landedOf: no row');
  return row;
}

export function landedExactly(landed: Landed, expected: Expected): boolean {
  return (
    landed.purchases === expected.purchases &&
    landed.items === expected.rows &&
    landed.amountCents === expected.amountCents &&
    landed.merchantPurchases === expected.purchases
  );
}

// ---------------------------------------------------------------------------------------------
// Memory of processes, read from /proc (Linux)

interface ProcStatus {
  pid: number;
  ppid: number;
  hwmBytes: number;
  rssAnonBytes: number;
  rssFileBytes: number;
  rssShmemBytes: number;
}

function kb(status: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

async function readStatus(pid: number): Promise<ProcStatus | null> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const ppid = /^PPid:\s+(\d+)/m.exec(text);
    return {
      pid,
      ppid: ppid ? Number(ppid[1]) : 0,
      hwmBytes: kb(text, 'VmHWM'),
      rssAnonBytes: kb(text, 'RssAnon'),
      rssFileBytes: kb(text, 'RssFile'),
      rssShmemBytes: kb(text, 'RssShmem'),
    };
  } catch {
    return null; // gone between listing and reading, or no /proc here
  }
}

export interface ServerMemory {
  /** Peak over the samples of Σ RssAnon + max RssShmem + max RssFile (see the file comment). */
  peakFootprintBytes: number;
  /** The largest VmHWM of one server process (a backend's own peak, shared pages included). */
  peakProcessHwmBytes: number;
  peakProcesses: number;
  samples: number;
}

export interface MemorySampler {
  /** Starts following `pid` (an importing process); its last VmHWM is kept after it exits. */
  watch(pid: number): void;
  peakOf(pid: number): number;
  stop(): Promise<ServerMemory>;
}

/** The postmaster's pid: the parent of the backend serving this connection. */
export async function postmasterPid(pool: pg.Pool): Promise<number | null> {
  const result = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
  const backend = result.rows[0]?.pid;
  if (backend === undefined) return null;
  return (await readStatus(backend))?.ppid ?? null;
}

export function startMemorySampler(postmaster: number | null, intervalMs = 250): MemorySampler {
  const watched = new Map<number, number>();
  const server: ServerMemory = {
    peakFootprintBytes: 0,
    peakProcessHwmBytes: 0,
    peakProcesses: 0,
    samples: 0,
  };
  let running = true;
  const sample = async (): Promise<void> => {
    for (const pid of watched.keys()) {
      const status = await readStatus(pid);
      if (status) watched.set(pid, Math.max(watched.get(pid) ?? 0, status.hwmBytes));
    }
    if (postmaster === null) return;
    const entries = await readdir('/proc').catch(() => [] as string[]);
    const statuses = await Promise.all(
      entries.filter((name) => /^\d+$/.test(name)).map((name) => readStatus(Number(name))),
    );
    const processes = statuses.filter(
      (s): s is ProcStatus => s !== null && (s.pid === postmaster || s.ppid === postmaster),
    );
    if (processes.length === 0) return;
    const footprint =
      processes.reduce((sum, p) => sum + p.rssAnonBytes, 0) +
      Math.max(...processes.map((p) => p.rssShmemBytes)) +
      Math.max(...processes.map((p) => p.rssFileBytes));
    server.peakFootprintBytes = Math.max(server.peakFootprintBytes, footprint);
    server.peakProcessHwmBytes = Math.max(
      server.peakProcessHwmBytes,
      ...processes.filter((p) => p.pid !== postmaster).map((p) => p.hwmBytes),
    );
    server.peakProcesses = Math.max(server.peakProcesses, processes.length);
    server.samples++;
  };
  const loop = (async () => {
    while (running) {
      await sample();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    watch: (pid) => {
      watched.set(pid, 0);
    },
    peakOf: (pid) => watched.get(pid) ?? 0,
    stop: async () => {
      running = false;
      await loop;
      await sample();
      return { ...server };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One import in a child process

const probeInputSchema = z.object({
  url: z.string().min(1),
  path: z.string().min(1),
  merchantId: z.string().min(1),
  name: z.string(),
});
type ProbeInput = z.infer<typeof probeInputSchema>;

const timedImportSchema = z.object({
  phases: z.object({
    parseMs: z.number(),
    referenceMs: z.number(),
    referenceCallMs: z.number(),
    stagingMs: z.number(),
    stagingAfterCheckMs: z.number(),
    chunksWhileReading: z.number(),
    stageCalls: z.number(),
    slowestStageMs: z.number(),
    commitMs: z.number(),
    totalMs: z.number(),
  }),
  rows: z.number(),
  purchases: z.number(),
  items: z.number(),
  batchId: z.string(),
  status: z.string(),
  importedPurchases: z.number(),
  importedItems: z.number(),
  errorMessage: z.string().nullable(),
});
const probeOutputSchema = z.object({ run: timedImportSchema, maxRssBytes: z.number() });
const PROBE_MARKER = 'SCALE_PROBE ';

async function probe(encoded: string): Promise<void> {
  const input = probeInputSchema.parse(JSON.parse(Buffer.from(encoded, 'base64url').toString()));
  // Its own pool, as the CLI and the app open one.
  const transport = createPgTransport({ connectionString: input.url }, input.name);
  try {
    const run = await timedImportFile(transport, {
      path: input.path,
      merchantId: input.merchantId,
      name: input.name,
    });
    await disposeParseWorkers();
    // maxRSS covers the worker thread too: it shares this process.
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    process.stdout.write(`${PROBE_MARKER}${JSON.stringify({ run, maxRssBytes })}\n`);
  } finally {
    await transport.close();
  }
}

export interface ProcessRun {
  label: string;
  /** Spawn to exit, as a user would wait for it (node and tsx start-up included). */
  wallMs: number;
  /** The process's peak RSS: its own maxRSS when it reports one, else the sampled VmHWM. */
  maxRssBytes: number;
  expected: Expected;
  landed: Landed;
  exact: boolean;
}

export interface ProbeRun extends ProcessRun {
  run: TimedImport;
}

function runChild(
  args: readonly string[],
  sampler: MemorySampler,
  onStderrLine: (line: string, at: number) => void = () => undefined,
): Promise<{ stdout: string; wallMs: number; peakHwmBytes: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) sampler.watch(child.pid);
    let stdout = '';
    let stderrTail = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      const at = performance.now();
      stderrTail = (stderrTail + text).slice(-4000);
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onStderrLine(line, at - started);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0 && code !== 1) {
        reject(new Error(`${args.join(' ')} exited ${code}: ${stderrTail}`));
        return;
      }
      resolve({ stdout, wallMs, peakHwmBytes: child.pid ? sampler.peakOf(child.pid) : 0, code });
    });
  });
}

async function probeInChild(
  input: ProbeInput,
  sampler: MemorySampler,
): Promise<{ run: TimedImport; wallMs: number; maxRssBytes: number }> {
  const encoded = Buffer.from(JSON.stringify(input)).toString('base64url');
  const child = await runChild(['--import', 'tsx', thisFile, '--probe', encoded], sampler);
  const line = child.stdout.split('\n').find((l) => l.startsWith(PROBE_MARKER));
  if (!line) throw new Error(`probe ${input.name} printed no result`);
  const output = probeOutputSchema.parse(JSON.parse(line.slice(PROBE_MARKER.length)));
  return {
    run: output.run,
    wallMs: child.wallMs,
    maxRssBytes: Math.max(output.maxRssBytes, child.peakHwmBytes),
  };
}

// ---------------------------------------------------------------------------------------------
// The import through the CLI

const cliOutputSchema = z.object({
  ok: z.boolean(),
  rows: z.number(),
  batchId: z.string().nullable(),
  status: z.string().nullable(),
  importedPurchases: z.number(),
  importedItems: z.number(),
});

export interface CliRun extends ProcessRun {
  batchId: string;
  /** When each progress line appeared on stderr, ms after spawn ("reading", "staging", …). */
  phaseAt: Record<string, number>;
}

async function cliImport(
  url: string,
  file: string,
  merchant: SeededMerchant,
  expected: Expected,
  pool: pg.Pool,
  sampler: MemorySampler,
): Promise<CliRun> {
  const phaseAt: Record<string, number> = {};
  const child = await runChild(
    [
      join(repoRoot, 'bin/purchase-import.mjs'),
      'import',
      file,
      '--merchant',
      merchant.merchantId,
      '--db',
      url,
      '--name',
      'scale via CLI',
      '--json',
    ],
    sampler,
    (line, at) => {
      // Off a terminal the CLI prints one "<phase>… (<time> elapsed)" line per phase.
      const phase = /^(\w+)…/.exec(line.trim())?.[1];
      if (phase && phaseAt[phase] === undefined) phaseAt[phase] = at;
    },
  );
  const output = cliOutputSchema.parse(JSON.parse(child.stdout.trim().split('\n').at(-1) ?? ''));
  if (!output.ok || !output.batchId) {
    throw new Error(`the CLI import did not complete: ${child.stdout.slice(0, 2000)}`);
  }
  const landed = await landedOf(pool, output.batchId, merchant.merchantId);
  return {
    label: 'CLI',
    batchId: output.batchId,
    wallMs: child.wallMs,
    maxRssBytes: child.peakHwmBytes,
    phaseAt,
    expected,
    landed,
    exact: output.status === 'completed' && landedExactly(landed, expected),
  };
}

// ---------------------------------------------------------------------------------------------
// Set-up shared by both parts

interface Workbench {
  url: string;
  pool: pg.Pool;
  dir: string;
  sampler: MemorySampler;
  close(): Promise<ServerMemory>;
}

async function openWorkbench(): Promise<Workbench> {
  const server = await startTestPostgres();
  const dir = await mkdtemp(join(tmpdir(), 'purchase-import-scale-'));
  const pool = new pg.Pool({ connectionString: server.url, max: 4 });
  pool.on('error', () => undefined);
  try {
    await migrate(server.url, { withReferenceSchema: true });
    const sampler = startMemorySampler(await postmasterPid(pool));
    return {
      url: server.url,
      pool,
      dir,
      sampler,
      close: async () => {
        const memory = await sampler.stop();
        await pool.end();
        await server.stop();
        await rm(dir, { recursive: true, force: true });
        return memory;
      },
    };
  } catch (error) {
    await pool.end();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

interface PreparedFile {
  merchant: SeededMerchant;
  path: string;
  bytes: number;
  expected: Expected;
}

/** A merchant of its own and a file of `rows` rows over its users and SKUs. */
async function prepareFile(bench: Workbench, rows: number, seed: number): Promise<PreparedFile> {
  const merchant = await seedMerchant(bench.pool, { users: 5_000, skus: 500 });
  const options = { rows, userIds: merchant.userIds, skuIds: merchant.skuIds, seed };
  const path = join(bench.dir, `scale-${rows}-${seed}.csv`);
  const written = await writePurchasesCsv(path, options);
  return {
    merchant,
    path,
    bytes: (await stat(path)).size,
    expected: { ...expectedOf(options), rows: written.rows, purchases: written.purchases },
  };
}

async function probeRun(bench: Workbench, file: PreparedFile, label: string): Promise<ProbeRun> {
  const child = await probeInChild(
    { url: bench.url, path: file.path, merchantId: file.merchant.merchantId, name: label },
    bench.sampler,
  );
  const landed = await landedOf(bench.pool, child.run.batchId, file.merchant.merchantId);
  return {
    label,
    run: child.run,
    wallMs: child.wallMs,
    maxRssBytes: child.maxRssBytes,
    expected: file.expected,
    landed,
    exact: child.run.status === 'completed' && landedExactly(landed, file.expected),
  };
}

// ---------------------------------------------------------------------------------------------
// scale-1m

export interface ScaleBenchResult {
  rows: number;
  bytes: number;
  baseline: ProbeRun;
  big: ProbeRun;
  cli: CliRun | null;
  /** The baseline file through the CLI (another merchant), spawn to exit. */
  cliBaseline: CliRun | null;
  /** psql COPY of the purchases and items each import landed (issue #14's floor). */
  copy: { baseline: CopyBaseline; big: CopyBaseline };
  /** (big total / big rows) / (baseline total / baseline rows): 1.0 is linear. */
  perRowRatio: number;
  server: ServerMemory;
  loadAverage: number[];
}

export async function runScaleBench(
  rows = 1_000_000,
  options: { baselineRows?: number; cli?: boolean; log?: (line: string) => void } = {},
): Promise<ScaleBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const baselineRows = options.baselineRows ?? 100_000;
  const bench = await openWorkbench();
  let result: Omit<ScaleBenchResult, 'server'>;
  try {
    const small = await prepareFile(bench, baselineRows, 11);
    const big = await prepareFile(bench, rows, 12);
    log(`scale: ${rows} rows, ${mb(big.bytes)}; baseline ${baselineRows} rows`);
    const baseline = await probeRun(bench, small, `baseline ${baselineRows}`);
    logProbe(log, baseline);
    const bigRun = await probeRun(bench, big, `scale ${rows}`);
    logProbe(log, bigRun);
    const copy = {
      baseline: await copyBatchBaseline(bench.url, bench.pool, bench.dir, baseline.run.batchId),
      big: await copyBatchBaseline(bench.url, bench.pool, bench.dir, bigRun.run.batchId),
    };
    log(
      `  psql COPY of the same purchases and items: ${baselineRows} rows ${s(copy.baseline.ms)}, ${rows} rows ${s(copy.big.ms)} (${copy.big.purchases} purchases, ${copy.big.items} items)`,
    );
    let cli: CliRun | null = null;
    let cliBaseline: CliRun | null = null;
    if (options.cli ?? true) {
      const third = await seedMerchant(bench.pool, { users: 5_000, skus: 500 });
      const smallPath = join(bench.dir, `scale-${baselineRows}-cli.csv`);
      const smallGenerate = {
        rows: baselineRows,
        userIds: third.userIds,
        skuIds: third.skuIds,
        seed: 11,
      };
      const smallWritten = await writePurchasesCsv(smallPath, smallGenerate);
      cliBaseline = await cliImport(
        bench.url,
        smallPath,
        third,
        {
          ...expectedOf(smallGenerate),
          rows: smallWritten.rows,
          purchases: smallWritten.purchases,
        },
        bench.pool,
        bench.sampler,
      );
      log(`  CLI ${baselineRows} rows: ${s(cliBaseline.wallMs)} spawn to exit`);
      // Same rows, another merchant (the transaction numbers are the merchant's).
      const second = await seedMerchant(bench.pool, { users: 5_000, skus: 500 });
      const path = join(bench.dir, `scale-${rows}-cli.csv`);
      const generate = { rows, userIds: second.userIds, skuIds: second.skuIds, seed: 12 };
      const written = await writePurchasesCsv(path, generate);
      cli = await cliImport(
        bench.url,
        path,
        second,
        { ...expectedOf(generate), rows: written.rows, purchases: written.purchases },
        bench.pool,
        bench.sampler,
      );
      log(
        `  CLI: ${s(cli.wallMs)} spawn to exit, peak RSS ${mb(cli.maxRssBytes)}, phases at ${Object.entries(
          cli.phaseAt,
        )
          .map(([phase, at]) => `${phase} ${s(at)}`)
          .join(
            ', ',
          )}; ${cli.exact ? 'landed exactly' : `NOT EXACT ${JSON.stringify(cli.landed)}`}`,
      );
    }
    result = {
      rows,
      bytes: big.bytes,
      baseline,
      big: bigRun,
      cli,
      cliBaseline,
      copy,
      perRowRatio: bigRun.run.phases.totalMs / rows / (baseline.run.phases.totalMs / baselineRows),
      loadAverage: await loadAverage(),
    };
  } catch (error) {
    await bench.close();
    throw error;
  }
  const server = await bench.close();
  log(
    `  PostgreSQL peak footprint ${mb(server.peakFootprintBytes)} (largest process ${mb(server.peakProcessHwmBytes)}, up to ${server.peakProcesses} processes); load ${result.loadAverage.join(' ')}`,
  );
  return { ...result, server };
}

// ---------------------------------------------------------------------------------------------
// parallel-5x100k

export interface ParallelBenchResult {
  rows: number;
  count: number;
  alone: ProbeRun;
  parallel: ProbeRun[];
  /** First spawn to last exit of the parallel imports. */
  wallMs: number;
  /** Parallel wall time / the alone import's wall time (5.0 would be no overlap at all). */
  wallRatio: number;
  /** Slowest parallel import's own total / the alone import's total. */
  slowestRatio: number;
  allExact: boolean;
  server: ServerMemory;
  loadAverage: number[];
}

export async function runParallelBench(
  count = 5,
  rows = 100_000,
  options: { log?: (line: string) => void } = {},
): Promise<ParallelBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const bench = await openWorkbench();
  let result: Omit<ParallelBenchResult, 'server'>;
  try {
    const files: PreparedFile[] = [];
    for (let i = 0; i <= count; i++) files.push(await prepareFile(bench, rows, 100 + i));
    const [aloneFile, ...parallelFiles] = files;
    if (!aloneFile) throw new Error('no files');
    log(`parallel: ${count} x ${rows} rows against one alone`);
    const alone = await probeRun(bench, aloneFile, 'alone');
    logProbe(log, alone);
    const started = performance.now();
    const parallel = await Promise.all(
      parallelFiles.map((file, i) => probeRun(bench, file, `parallel ${i + 1}`)),
    );
    const wallMs = performance.now() - started;
    for (const run of parallel) logProbe(log, run);
    result = {
      rows,
      count,
      alone,
      parallel,
      wallMs,
      wallRatio: wallMs / alone.wallMs,
      slowestRatio:
        Math.max(...parallel.map((p) => p.run.phases.totalMs)) / alone.run.phases.totalMs,
      allExact: alone.exact && parallel.every((p) => p.exact),
      loadAverage: await loadAverage(),
    };
  } catch (error) {
    await bench.close();
    throw error;
  }
  const server = await bench.close();
  log(
    `  ${count} in parallel: ${s(result.wallMs)} wall vs ${s(result.alone.wallMs)} alone (ratio ${result.wallRatio.toFixed(2)}); PostgreSQL peak footprint ${mb(server.peakFootprintBytes)}; load ${result.loadAverage.join(' ')}`,
  );
  return { ...result, server };
}

// ---------------------------------------------------------------------------------------------

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const mb = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MB`;

export function describePhases(p: PhaseTimings): string {
  return (
    `parse ${s(p.parseMs)}, reference ${s(p.referenceMs)} (call ${s(p.referenceCallMs)}), ` +
    `staging ${s(p.stagingMs)} (${p.stageCalls} chunks, ${p.chunksWhileReading} sent while the file was read, ` +
    `${s(p.stagingAfterCheckMs)} after the check; slowest ${s(p.slowestStageMs)}), ` +
    `commit ${s(p.commitMs)}, total ${s(p.totalMs)}`
  );
}

function logProbe(log: (line: string) => void, run: ProbeRun): void {
  log(
    `  ${run.label}: ${run.run.rows} rows / ${run.run.purchases} purchases: ${describePhases(run.run.phases)}; ` +
      `process ${s(run.wallMs)}, peak RSS ${mb(run.maxRssBytes)}; ` +
      (run.exact ? 'landed exactly' : `NOT EXACT ${JSON.stringify(run.landed)}`),
  );
}

async function loadAverage(): Promise<number[]> {
  const text = await readFile('/proc/loadavg', 'utf8').catch(() => '');
  return text
    .split(' ')
    .slice(0, 3)
    .map((value) => Number(value));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [mode, arg] = process.argv.slice(2);
  if (mode === '--probe') await probe(arg ?? '');
  else if (mode === 'parallel') await runParallelBench(5, Number(arg ?? 100_000));
  else if (mode === 'scale') await runScaleBench(Number(arg ?? 1_000_000));
  else {
    console.error('usage: node --import tsx test/bench/scale-bench.ts scale|parallel [rows]');
    process.exit(2);
  }
}
