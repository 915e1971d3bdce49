import { prewarmParseWorker } from '../electron/core/parse/parse-file';

// Entry of the precompiled CLI (build/build-cli.mjs bundles it into out/cli/main.js). A command
// that reads a file needs the parse worker, and a cold worker takes a while to load its modules:
// start it now, from a chunk that only needs zod, so it loads while this thread loads pg and
// supabase-js for the rest of the command (measured in test/bench/cli-bench.ts). The worker
// waits idle, unref'd, until parse-file hands it the file.
const command = process.argv[2];
if (command === 'check' || command === 'import') prewarmParseWorker();
await import('../electron/cli/main');
