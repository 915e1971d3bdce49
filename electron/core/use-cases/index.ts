// The engine's use cases, one definition each, called by both doors: the desktop app's session
// service (which adds session state, permissions and notifications) and the command line (which
// adds arguments and printing). Files, workers and the database stay on the node side.

export { checkReferences } from './check-references';
export {
  checkFile,
  type CheckedFile,
  type CheckFileHooks,
  type CheckFileInput,
  type ParseProgress,
} from './check-file';
export { commitPurchases, type CommitOutcome } from './commit-purchases';
export { commitStreamed, type StreamedCommit, type StreamedFile } from './commit-streamed';
export {
  importFile,
  type ImportFileHooks,
  type ImportFileInput,
  type ImportOutcome,
} from './import-file';
export { cancelBatch } from './cancel-batch';
export { recheckBatch } from './recheck-batch';
export { retryBatch } from './retry-batch';
export {
  batchErrors,
  batchOverview,
  getBatch,
  listBatchErrors,
  listBatches,
  type BatchErrorQuery,
  type BatchListQuery,
} from './batch-history';
export { exportBatchErrors } from './export-batch-errors';
export { describeBatch, type BatchAttempt } from './describe-batch';
