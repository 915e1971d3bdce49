import type { ImportRpc } from '../../../shared/db/import-rpc';
import { writeCsv } from '../files/csv-write';
import { batchErrors } from './batch-history';

/**
 * Writes every row error of a batch to a CSV file and returns how many. Streamed page by page: a
 * failed 1M-row batch never sits in memory (nor crosses IPC) whole. Cells that a spreadsheet
 * would run as formulas are neutralised (writeCsv's default).
 */
export async function exportBatchErrors(
  rpc: ImportRpc,
  batchId: string,
  path: string,
): Promise<number> {
  async function* rows(): AsyncGenerator<string[]> {
    for await (const e of batchErrors(rpc, batchId)) {
      yield [String(e.row), e.column ?? '', e.code, e.message, e.value ?? ''];
    }
  }
  return writeCsv(path, ['row', 'column', 'code', 'message', 'value'], rows());
}
