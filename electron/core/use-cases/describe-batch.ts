import type { BatchSummary } from '../../../shared/db/rpc-contract';

// What became of a batch, said once for every door: the app's result and notifications, and the
// command line's first line. Each door adds its own next step (History in the app, a command in
// the terminal) after this sentence.

/** An import's first commit, a retry of a batch that failed, or a cancel of a pending one. */
export type BatchAttempt = 'import' | 'retry' | 'cancel';

// Made on first use: the first Intl formatter of a process starts ICU, which the command line's
// start (it imports this module) must not wait for (see electron/cli/cli-format.ts).
let made: { integer: Intl.NumberFormat; pluralRules: Intl.PluralRules } | null = null;
function formats(): { integer: Intl.NumberFormat; pluralRules: Intl.PluralRules } {
  made ??= {
    integer: new Intl.NumberFormat('en', { maximumFractionDigits: 0 }),
    pluralRules: new Intl.PluralRules('en'),
  };
  return made;
}

function plural(value: number, one: string, many = `${one}s`): string {
  const { integer, pluralRules } = formats();
  return `${integer.format(value)} ${pluralRules.select(value) === 'one' ? one : many}`;
}

/** The outcome of a batch in one sentence (its summary, shown before any detail). */
export function describeBatch(batch: BatchSummary, attempt: BatchAttempt = 'import'): string {
  // The database never cancels a settled batch: it answers it as it is.
  if (attempt === 'cancel' && batch.status !== 'cancelled') {
    return `It could not be cancelled any more: ${describeBatch(batch)}`;
  }
  const name = batch.name ? ` "${batch.name}"` : '';
  switch (batch.status) {
    case 'completed': {
      const imported = `${plural(batch.importedPurchases, 'purchase')} (${plural(batch.importedItems, 'item')}) as batch ${batch.id}${name}`;
      return attempt === 'retry'
        ? `Retry completed: imported ${imported}.`
        : `Imported ${imported}.`;
    }
    case 'failed': {
      const recorded =
        batch.errorCount > 0
          ? ` ${plural(batch.errorCount, 'row error')} ${batch.errorCount === 1 ? 'was' : 'were'} recorded.`
          : '';
      const refused =
        attempt === 'retry'
          ? `Retry failed: the database refused batch ${batch.id} again${batch.errorMessage ? ` (${batch.errorMessage})` : ''}.`
          : `The database refused batch ${batch.id}${name}: ${batch.errorMessage ?? 'no reason given'}.`;
      return `${refused}${recorded} Nothing was imported.`;
    }
    case 'cancelled':
      return `Batch ${batch.id}${name} was cancelled before its commit step: nothing was imported.`;
    default:
      return `Batch ${batch.id}${name} is ${batch.status}: ${formats().integer.format(batch.stagedRows)} of ${plural(batch.totalRows, 'row')} staged, nothing imported yet.`;
  }
}
