import { Worker } from 'node:worker_threads';
import { PARSE_WORKER_LIMITS } from '../electron/core/parse/worker-limits';

// Entry of the precompiled CLI (build/build-cli.mjs bundles it into out/cli/main.js). A command
// that reads a file needs the parse worker, and a cold worker takes a while to load its modules
// (~0.2 s): start it first, before this thread loads anything (zod, pg, the engine), so both load
// at once (measured in test/bench/cli-bench.ts). parse-file.ts keeps it as its idle worker; it
// waits, unref'd, until parse-file hands it the file.
const command = process.argv[2];
const worker =
  command === 'check' || command === 'import'
    ? new Worker(new URL('./parse-worker.js', import.meta.url), {
        resourceLimits: PARSE_WORKER_LIMITS,
      })
    : null;
worker?.unref();
if (worker) {
  const { defaultWorkerUrl, prewarmParseWorker } =
    await import('../electron/core/parse/parse-file');
  prewarmParseWorker(defaultWorkerUrl, worker);
}
await import('../electron/cli/main');
