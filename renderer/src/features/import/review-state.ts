import type { RowFilter, SessionView } from '../../../../shared/ipc/contract';
import { errorLabel } from '../../lib/error-codes';
import { formatCount } from '../../lib/format';

// One reading of the current report for every part of the review screen (filters, counts, side
// panel, step bar, the Continue button): they cannot disagree because they all read this.

export interface ReviewState {
  /** Rows of the file as it is now (after deletions). */
  rows: number;
  /** Rows that still have at least one error, anywhere in the file. */
  errorRows: number;
  /** True only when the file can be committed as it is now. */
  ready: boolean;
  /** Why it cannot be committed yet (null when ready). */
  blockedReason: string | null;
  /** The shown filter has no row left. */
  filterEmpty: boolean;
  /** What the side panel and the empty grid say when the filter has nothing left. */
  emptyFilterMessage: string;
  /** Whether "Review and fix" is done (so the step bar can tick it). */
  reviewDone: boolean;
}

export function reviewState(
  view: SessionView | null,
  filter: RowFilter,
  filterTotal: number,
): ReviewState {
  if (!view) {
    return {
      rows: 0,
      errorRows: 0,
      ready: false,
      blockedReason: null,
      filterEmpty: true,
      emptyFilterMessage: '',
      reviewDone: false,
    };
  }
  const errorRows = view.counts.errors;
  const ready = view.blockedReason === null;
  const filterEmpty = filterTotal === 0;
  let emptyFilterMessage: string;
  if (view.fileErrors.length > 0) emptyFilterMessage = 'See the file problem above.';
  else if (filter === 'all')
    emptyFilterMessage =
      view.counts.all === 0 ? 'The file has no data rows left.' : 'No problems in this file.';
  else if (errorRows > 0) {
    const what = filter === 'errors' ? 'errors' : `“${errorLabel(filter)}” problems`;
    emptyFilterMessage = `No ${what} left. ${rowsPhrase(errorRows)} still ${errorRows === 1 ? 'has' : 'have'} other errors.`;
  } else if (ready) emptyFilterMessage = 'Nothing left to fix: the file is ready to import.';
  else emptyFilterMessage = view.blockedReason ?? '';
  return {
    rows: view.counts.all,
    errorRows,
    ready,
    blockedReason: view.blockedReason,
    filterEmpty,
    emptyFilterMessage,
    reviewDone: ready,
  };
}

function rowsPhrase(count: number): string {
  return `${formatCount(count)} ${count === 1 ? 'row' : 'rows'}`;
}

export type StepState = 'current' | 'done' | 'attention' | 'todo';

/**
 * The step bar's state of each step: a step before the current one is done, except "Review and
 * fix" (index `review`) while the file is not ready, which needs attention instead.
 */
export function stepStates(
  count: number,
  current: number,
  review: number,
  state: Pick<ReviewState, 'ready'> & { hasFile: boolean },
): StepState[] {
  return Array.from({ length: count }, (_, i) => {
    if (i === current) return 'current';
    if (i > current) return 'todo';
    if (i === review && state.hasFile && !state.ready) return 'attention';
    return 'done';
  });
}
