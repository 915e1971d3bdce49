// What a command needs once its arguments are known to be good: the database connection (pg,
// supabase-js, the sandbox), migrations and the use cases. run-cli imports this module lazily, so
// `--help` and a usage error never load it, and `check` starts reading its file in the parse
// worker before this thread spends its time loading it (test/bench/cli-bench.ts measures both).
export { openDatabase } from '../core/connection';
export { migrate } from '../core/db/migrate';
export {
  cancelBatch,
  checkFile,
  describeBatch,
  exportBatchErrors,
  getBatch,
  importFile,
  listBatches,
  recheckBatch,
  retryBatch,
} from '../core/use-cases';
