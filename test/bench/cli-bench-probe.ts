import { createInterface } from 'node:readline';
import { z } from 'zod';
import { runCli } from '../../electron/cli/run-cli';
import { disposeParseWorkers } from '../../electron/core/parse/parse-file';

// The in-process side of the CLI bench (cli-bench.ts bundles this file with esbuild exactly as
// build/build-cli.mjs bundles the CLI, so both sides run the same compiled code and the same
// bundled parse worker). Per "go" line on stdin it runs `check` through runCli in this
// long-lived process twice and answers with the times: first with a fresh parse worker, as the
// CLI's single run has (the figure the CLI's start-up is added to), then again on the worker
// the first run left idle and warm (what the app has when it prewarmed one). Per "run <JSON
// array of arguments>" line it runs that command once on a fresh worker (an import).

const MARKER = 'PROBE_RUN ';
const argv = process.argv.slice(2);
let lastStdout = '';
let started = 0;
let phaseAt: Record<string, number> = {};
const io = {
  stdout: (text: string) => {
    lastStdout += text;
  },
  // Off a terminal a command prints one "<phase>… (<time> elapsed)" line per phase: when each
  // began, for the bench's log next to the CLI's.
  stderr: (text: string) => {
    for (const line of text.split('\n')) {
      const phase = /^(\w+)…/.exec(line.trim())?.[1];
      if (phase && phaseAt[phase] === undefined) phaseAt[phase] = performance.now() - started;
    }
  },
  stderrIsTty: false,
  env: { ...process.env, PURCHASE_IMPORT_DB: '' },
};

async function once(
  freshWorker = true,
  args: readonly string[] = argv,
): Promise<{
  ms: number;
  cpuMs: number;
  code: number;
  stdout: string;
  phaseAt: Record<string, number>;
}> {
  if (freshWorker) await disposeParseWorkers();
  lastStdout = '';
  phaseAt = {};
  started = performance.now();
  const cpu = process.cpuUsage(); // the whole process, the parse worker's thread included
  const code = await runCli(args, io);
  const used = process.cpuUsage(cpu);
  const ms = performance.now() - started;
  return { ms, cpuMs: (used.user + used.system) / 1000, code, stdout: lastStdout, phaseAt };
}

await once(); // warm the JIT and the connection code once, as a running app would be
process.stdout.write('PROBE_READY\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line.startsWith('run ')) {
    // Any other command once, on a fresh worker (the import of a file into its own merchant).
    const args = z.array(z.string()).parse(JSON.parse(line.slice('run '.length)));
    const run = await once(true, args);
    process.stdout.write(`${MARKER}${JSON.stringify({ fresh: run, warm: run })}\n`);
    continue;
  }
  if (line.trim() !== 'go') break;
  const fresh = await once(true);
  const warm = await once(false);
  process.stdout.write(`${MARKER}${JSON.stringify({ fresh, warm })}\n`);
}
await disposeParseWorkers();
process.exit(0);
