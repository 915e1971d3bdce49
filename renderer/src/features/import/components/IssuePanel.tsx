import { useEffect, useState } from 'react';
import type { RowError } from '../../../../../shared/domain/types';
import type { CanonicalColumn } from '../../../../../shared/domain/types';
import { usePermission } from '../../../lib/access';
import { ERROR_HINTS, errorLabel } from '../../../lib/error-codes';
import { api, errorMessage } from '../../../lib/api';
import { CONTROL_LABELS } from '../../../lib/controls';
import { formatCount } from '../../../lib/format';
import { reviewState } from '../review-state';
import { rowAt, useImportStore } from '../store';

const LIST_PAGE = 100;

/** The side panel: the active row's problems with fixes, then every problem in the filter. */
export function IssuePanel(): React.JSX.Element | null {
  const view = useImportStore((s) => s.view);
  const pages = useImportStore((s) => s.pages);
  const active = useImportStore((s) => s.active);
  const filter = useImportStore((s) => s.filter);
  const version = useImportStore((s) => s.version);
  const replaceRequested = useImportStore((s) => s.replaceRequested);
  const rowsDeleted = useImportStore((s) => s.rowsDeleted);
  const rowJumpRequested = useImportStore((s) => s.rowJumpRequested);
  const activeCellMoved = useImportStore((s) => s.activeCellMoved);
  const canFix = usePermission('fix');
  const busy = useImportStore((s) => s.busy);
  const total = useImportStore((s) => s.total);
  const problemDeleted = useImportStore((s) => s.problemDeleted);
  const filterChanged = useImportStore((s) => s.filterChanged);
  const [list, setList] = useState<{ total: number; issues: RowError[]; error: string | null }>({
    total: 0,
    issues: [],
    error: null,
  });
  const [limit, setLimit] = useState(LIST_PAGE);

  useEffect(() => {
    let live = true;
    const issueFilter = filter === 'all' ? 'all' : filter;
    api()
      .importIssues({ filter: issueFilter, offset: 0, limit })
      .then((page) => live && setList({ total: page.total, issues: page.issues, error: null }))
      .catch(
        (error: unknown) => live && setList({ total: 0, issues: [], error: errorMessage(error) }),
      );
    return () => {
      live = false;
    };
  }, [filter, version, limit]);

  if (!view) return null;
  const review = reviewState(view, filter, total);
  const filterRows = total;
  const row = rowAt(pages, active.index);
  const column = active.column > 0 ? view.columns[active.column - 1] : undefined;

  return (
    <aside className="issue-panel" aria-label="Problems">
      <section className="issue-current">
        <h2 className="panel-subtitle">{row ? `Row ${row.row}` : 'No row selected'}</h2>
        {row && row.issues.length === 0 && <p className="ok-line">No problems in this row.</p>}
        {row && row.issues.length > 0 && (
          <ul className="issue-list issue-list--current">
            {row.issues.map((issue, i) => (
              <li
                key={i}
                className={issue.severity === 'warning' ? 'issue issue--warning' : 'issue'}
              >
                <div className="issue-kind">
                  {errorLabel(issue.code)}
                  {issue.column && <code className="issue-column">{issue.column}</code>}
                </div>
                <div className="issue-message">{issue.message}</div>
                <div className="issue-hint">{ERROR_HINTS[issue.code]}</div>
                {canFix &&
                  issue.column &&
                  view.columns.includes(issue.column as CanonicalColumn) && (
                    <div className="issue-actions">
                      <button
                        type="button"
                        className="button button--small"
                        onClick={() => {
                          const position = view.columns.indexOf(issue.column as CanonicalColumn);
                          activeCellMoved({ index: active.index, column: position + 1 });
                          replaceRequested(
                            issue.column as CanonicalColumn,
                            row.cells[issue.column as CanonicalColumn] ?? '',
                          );
                        }}
                      >
                        {CONTROL_LABELS.replaceEverywhere}
                      </button>
                    </div>
                  )}
                {canFix && issue.row >= 2 && filter !== issue.code && (
                  <div className="issue-actions">
                    <button
                      type="button"
                      className="button button--small button--quiet"
                      onClick={() => void filterChanged(issue.code)}
                    >
                      Show every “{errorLabel(issue.code)}” row
                    </button>
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
        {row && canFix && (
          <div className="issue-actions issue-actions--row">
            {column && !row.issues.some((e) => e.column === column) && (
              <button
                type="button"
                className="button button--small"
                onClick={() => replaceRequested(column, row.cells[column] ?? '')}
              >
                Replace this {column} everywhere…
              </button>
            )}
            <button
              type="button"
              className="button button--small button--danger"
              onClick={() => void rowsDeleted([row.row], false)}
            >
              {CONTROL_LABELS.deleteRow}
            </button>
            <button
              type="button"
              className="button button--small button--danger"
              onClick={() => void rowsDeleted([row.row], true)}
            >
              {CONTROL_LABELS.deleteTransaction}
            </button>
          </div>
        )}
        {row && canFix && (
          <p className="muted small">Double-click a cell (or press Enter) to edit it.</p>
        )}
      </section>
      <section className="issue-all">
        <h2 className="panel-subtitle">
          {filter === 'all' ? 'All problems' : filter === 'errors' ? 'Errors' : errorLabel(filter)}{' '}
          <span className="muted">({formatCount(list.total)})</span>
        </h2>
        {list.error && <p className="field-error">{list.error}</p>}
        {list.total === 0 && !list.error && (
          <p className={review.ready ? 'ok-line' : 'warn-line'} role="status">
            {review.emptyFilterMessage}
          </p>
        )}
        {canFix && filter !== 'all' && list.total > 0 && (
          <div className="issue-actions issue-actions--bulk">
            <button
              type="button"
              className="button button--small button--danger"
              disabled={busy}
              onClick={() => void problemDeleted(filter, false)}
            >
              {filter === 'errors'
                ? `Delete every row with errors (${formatCount(filterRows)})`
                : `${CONTROL_LABELS.deleteProblemRows} (${formatCount(filterRows)})`}
            </button>
            <button
              type="button"
              className="button button--small button--danger"
              disabled={busy}
              onClick={() => void problemDeleted(filter, true)}
            >
              Delete their transactions
            </button>
          </div>
        )}
        <ul className="issue-list">
          {list.issues.map((issue, i) => (
            <li key={`${issue.row}-${issue.column}-${issue.code}-${i}`}>
              <button
                type="button"
                className={`issue-link ${issue.severity === 'warning' ? 'issue-link--warning' : ''}`}
                onClick={() =>
                  void rowJumpRequested(issue.row).then(
                    (ok) => ok && document.getElementById('grid')?.focus(),
                  )
                }
              >
                <span className="issue-row">Row {issue.row}</span>
                <span className="issue-text">{issue.message}</span>
              </button>
            </li>
          ))}
        </ul>
        {list.total > list.issues.length && (
          <button
            type="button"
            className="button button--small"
            onClick={() => setLimit((n) => Math.min(1000, n + LIST_PAGE))}
            disabled={limit >= 1000}
          >
            {limit >= 1000 ? 'Filter by kind or export the errors to see more' : 'Show more'}
          </button>
        )}
      </section>
    </aside>
  );
}
