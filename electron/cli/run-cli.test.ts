import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeRpc } from '../core/use-cases/fake-rpc';
import type { ParseHooks } from '../core/parse/parse-file';
import type { CliIo } from './run-cli';

// runCli's start of a check or an import: the file is read in the parse worker while this thread
// loads the engine (cli-engine.ts: pg, supabase-js, the use cases) and connects. These tests
// replace that engine (a fake database, or one that fails to load) and watch the parse worker.

const FILE = resolve(import.meta.dirname, '../../samples/sample-purchases.csv');
const MERCHANT = 'cc3fb887-f21f-442f-83af-ac6dd43f7b1a';
const DB = 'postgresql://nobody@127.0.0.1:1/none';

function captureIo(patch: Partial<CliIo> = {}): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (text) => (out += text),
    stderr: (text) => (err += text),
    stderrIsTty: false,
    env: {},
    out: () => out,
    err: () => err,
    ...patch,
  };
}

/**
 * run-cli with its engine replaced; parse-file's parseCsvFile (the abort signal of each parse)
 * and disposeParseWorkers watched.
 */
async function loadRunCli(engine: () => Promise<object>) {
  vi.resetModules();
  vi.doMock('./cli-engine', engine);
  const dispose = vi.fn<() => Promise<void>>();
  const signals: (AbortSignal | undefined)[] = [];
  vi.doMock('../core/parse/parse-file', async (importOriginal) => {
    const real = await importOriginal<typeof import('../core/parse/parse-file')>();
    dispose.mockImplementation(real.disposeParseWorkers);
    const parse = real.parseCsvFile as (
      path: string,
      options: object,
      hooks?: ParseHooks,
    ) => unknown;
    const parseCsvFile = ((path: string, options: object, hooks?: ParseHooks) => {
      signals.push(hooks?.signal);
      return parse(path, options, hooks);
    }) as typeof real.parseCsvFile;
    return { ...real, parseCsvFile, disposeParseWorkers: dispose };
  });
  const { runCli } = await import('./run-cli');
  return { runCli, dispose, signals };
}

/** An engine whose database knows the merchant and every id of the sample file. */
async function fakeEngine(): Promise<object> {
  const real = await vi.importActual<typeof import('./cli-engine')>('./cli-engine');
  const rpc = fakeRpc({
    import_list_merchants: () => ({ merchants: [{ id: MERCHANT, name: 'Harbor Bakery' }] }),
    import_check_references: () => ({
      unknownUserIds: [],
      unknownSkuIds: [],
      existingTransactions: [],
    }),
  });
  return {
    ...real,
    openDatabase: () =>
      Promise.resolve({ rpc, label: 'fake', url: DB, kind: 'postgres', close: async () => {} }),
  };
}

afterEach(async () => {
  const { disposeParseWorkers } = await vi.importActual<typeof import('../core/parse/parse-file')>(
    '../core/parse/parse-file',
  );
  await disposeParseWorkers();
  vi.doUnmock('./cli-engine');
  vi.doUnmock('../core/parse/parse-file');
  vi.resetModules();
});

describe('runCli: the engine loads while the file is read', () => {
  it('an engine that fails to load says so, exits 3 and stops the parse it started', async () => {
    const { runCli, signals } = await loadRunCli(() =>
      Promise.reject(new Error("Cannot find package 'pg' imported from out/cli/chunk.js")),
    );
    const io = captureIo();
    const code = await runCli(['check', FILE, '--merchant', MERCHANT, '--db', DB, '--json'], io);
    expect(code).toBe(3);
    const body = JSON.parse(io.out()) as { ok: boolean; error: string; exitCode: number };
    expect(body).toMatchObject({ ok: false, exitCode: 3 });
    // What failed to load, then why (here vitest's word for the engine's import failing).
    expect(body.error).toMatch(
      /^Could not load the command's database engine \(pg, supabase-js, the use cases\): \S/,
    );
    expect(io.err()).toBe(`purchase-import: ${body.error}\n`);
    // The parse had started before the engine was asked for, and was stopped.
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('a command that ends its process ends the parse worker once the file is read', async () => {
    const { runCli, dispose } = await loadRunCli(fakeEngine);
    const io = captureIo({ endsAfterCommand: true });
    const code = await runCli(['check', FILE, '--merchant', MERCHANT, '--db', DB, '--json'], io);
    expect(io.err()).not.toContain('purchase-import:');
    expect(code).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ ok: true, rows: 1000 });
    expect(dispose).toHaveBeenCalledTimes(1);
  });

  it('in a running process the worker stays for the next file', async () => {
    const { runCli, dispose } = await loadRunCli(fakeEngine);
    const io = captureIo();
    const code = await runCli(['check', FILE, '--merchant', MERCHANT, '--db', DB, '--json'], io);
    expect(code).toBe(0);
    expect(dispose).not.toHaveBeenCalled();
  });
});
