import { describe, expect, it } from 'vitest';
import { describeBatch } from './describe-batch';
import { batchDetail } from './fake-rpc';

describe('describeBatch', () => {
  it('leads with the outcome: what was imported, in which batch, plurals right', () => {
    const one = batchDetail({ importedPurchases: 1, importedItems: 1, name: 'March' });
    expect(describeBatch(one)).toBe(`Imported 1 purchase (1 item) as batch ${one.id} "March".`);
    const many = batchDetail({ importedPurchases: 1234, importedItems: 2000 });
    expect(describeBatch(many)).toBe(`Imported 1,234 purchases (2,000 items) as batch ${many.id}.`);
  });

  it('says a refusal, its reason and how many rows were recorded, and that nothing was imported', () => {
    const failed = batchDetail({
      status: 'failed',
      importedPurchases: 0,
      importedItems: 0,
      errorMessage: '3 rows refused',
      errorCount: 3,
    });
    expect(describeBatch(failed)).toBe(
      `The database refused batch ${failed.id}: 3 rows refused. 3 row errors were recorded. Nothing was imported.`,
    );
    expect(describeBatch({ ...failed, errorCount: 1 }, 'retry')).toBe(
      `Retry failed: the database refused batch ${failed.id} again (3 rows refused). 1 row error was recorded. Nothing was imported.`,
    );
    expect(describeBatch({ ...failed, status: 'completed' }, 'retry')).toMatch(
      /^Retry completed: imported 0 purchases \(0 items\) as batch /,
    );
  });

  it('says a cancel, or that the batch had settled before it could be cancelled', () => {
    const cancelled = batchDetail({ status: 'cancelled', importedPurchases: 0, importedItems: 0 });
    expect(describeBatch(cancelled, 'cancel')).toBe(
      `Batch ${cancelled.id} was cancelled before its commit step: nothing was imported.`,
    );
    const done = batchDetail({ importedPurchases: 2, importedItems: 3 });
    expect(describeBatch(done, 'cancel')).toBe(
      `It could not be cancelled any more: Imported 2 purchases (3 items) as batch ${done.id}.`,
    );
  });

  it('has a sentence for a batch that is cancelled or still under way', () => {
    const cancelled = batchDetail({ status: 'cancelled', importedPurchases: 0 });
    expect(describeBatch(cancelled)).toBe(
      `Batch ${cancelled.id} was cancelled before its commit step: nothing was imported.`,
    );
    const pending = batchDetail({ status: 'pending', stagedRows: 2, totalRows: 3 });
    expect(describeBatch(pending)).toBe(
      `Batch ${pending.id} is pending: 2 of 3 rows staged, nothing imported yet.`,
    );
  });
});
